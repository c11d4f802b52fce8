// Epoch milliseconds that do not jump: the wall clock as it was when the process started, advanced by
// the monotonic clock. A step of the host's clock (NTP correcting a drift, `date -s`, a VM restored)
// moves Date.now() by any amount at once; deadlines measured on it expired early or late by that much
// (a +2 min step failed every queued task with a 60 s deadline as DEADLINE_UNMET). Use it for
// "how long has passed" within one process; times a person reads stay on Date.now().
export function steadyNow(): number {
  return performance.timeOrigin + performance.now();
}
