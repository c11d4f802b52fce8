// A randomized fault run: concurrent streaming load on a real cluster while seeded faults hit it,
// then a heal and a drain, then the history checker. Prints the seed first (set FAULT_SEED to
// replay a run) and the counts and detection times last.
import { writeFileSync } from "node:fs";
import { mulberry32 } from "../../scripts/gguf/prng.js";
import { testModelName, type TestModelKind } from "../models.js";
import { FAULT_TOKEN, startFaultCluster } from "./fault-cluster.js";
import { FaultInjector, type Detection } from "./fault-injector.js";
import { checkHistory, percentiles, type CheckResult } from "./history-checker.js";
import { History } from "./history.js";
import { LoadClient, type LoadModel } from "./load-client.js";
import { pollNodes } from "./node-poller.js";

export interface FaultRunOptions {
  seed: number;
  /** How long load and faults run (ms). */
  durationMs: number;
  clients: number;
  /** Pause between faults: uniform in [min, max] ms. */
  faultGapMs: [number, number];
  /** Follow budget per task after faults stop (a task not ended by then is lost). */
  followLimitMs: number;
  /** Extra env for the agents (e.g. the event-loop stall hook). */
  workerEnv?: Record<string, string>;
  /** No faults at all (the false-positive soak injects only stalls and jitter through workerEnv). */
  faults?: boolean;
  log?: (line: string) => void;
}

export interface FaultRunReport extends CheckResult {
  seed: number;
  faults: Record<string, number>;
  crashDetectionMs: ReturnType<typeof percentiles>;
  hangDetectionMs: ReturnType<typeof percentiles>;
  /** Nodes seen leaving Online (for the false-positive soak). */
  offlineTransitions: number;
  suspectTransitions: number;
  history: History;
}

const LAYOUT: Record<string, TestModelKind[]> = { "fault-a": ["medium", "tiny"], "fault-b": ["medium", "tiny"], "fault-c": ["tiny"] };
const MODELS: LoadModel[] = [
  { name: testModelName("tiny"), ctx: 512, minTokens: 4, maxTokens: 64 },
  { name: testModelName("medium"), ctx: 4096, minTokens: 16, maxTokens: 400 },
];

/** Time from each fault to the first poll that saw its node leave Online. */
function detectionTimes(history: History, detections: readonly Detection[], kind: Detection["kind"]): number[] {
  const out: number[] = [];
  for (const d of detections.filter((x) => x.kind === kind)) {
    const seen = history.entries.find((e) => e.kind === "node" && e.node === d.node && e.t >= d.at && e.state !== "Online");
    if (seen !== undefined) out.push(seen.t - d.at);
  }
  return out;
}

export async function runFaults(o: FaultRunOptions): Promise<FaultRunReport> {
  const log = o.log ?? ((line: string) => console.log(line));
  log(`fault run: seed=${o.seed} (replay with FAULT_SEED=${o.seed}) duration=${o.durationMs} ms clients=${o.clients}`);
  const rng = mulberry32(o.seed);
  const history = new History();
  const cluster = await startFaultCluster(LAYOUT, rng, o.workerEnv);
  try {
    // Every agent registered with ready pools before the clock starts.
    const poller = pollNodes(cluster.url, FAULT_TOKEN, history);
    const readyBy = Date.now() + 60_000;
    while (Date.now() < readyBy) {
      const ready = new Set(history.entries.flatMap((e) => (e.kind === "node" && e.state === "Online" && e.models.length > 0 ? [e.node] : [])));
      if (ready.size === Object.keys(LAYOUT).length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const start = history.now();
    const submitUntil = start + o.durationMs;
    const clients = Array.from({ length: o.clients }, (_, i) => new LoadClient({ url: cluster.url, token: FAULT_TOKEN, models: MODELS, rng: mulberry32(o.seed * 31 + i), history, submitUntil, followLimitMs: o.followLimitMs }).run());
    const injector = new FaultInjector(cluster, rng, history, log);
    let n = 0;
    while (o.faults !== false && history.now() < submitUntil) {
      await new Promise((r) => setTimeout(r, o.faultGapMs[0] + rng() * (o.faultGapMs[1] - o.faultGapMs[0])));
      if (history.now() >= submitUntil) break;
      await injector.injectOne(++n);
    }
    await injector.healAll();
    await Promise.all(clients);
    await poller.stop();
    const result = checkHistory(history.entries, { stateToleranceMs: 1000 });
    const nodeEntries = history.entries.filter((e) => e.kind === "node" && e.t >= start);
    const report: FaultRunReport = {
      ...result,
      seed: o.seed,
      faults: { ...injector.counts },
      crashDetectionMs: percentiles(detectionTimes(history, injector.detections, "crash")),
      hangDetectionMs: percentiles(detectionTimes(history, injector.detections, "hang")),
      offlineTransitions: nodeEntries.filter((e) => e.kind === "node" && e.state === "Offline").length,
      suspectTransitions: nodeEntries.filter((e) => e.kind === "node" && e.state === "Suspect").length,
      history,
    };
    const c = report.counts;
    log(`fault run done: seed=${o.seed} faults=${JSON.stringify(report.faults)}`);
    log(`  accepted=${c.accepted} completed=${c.completed} canceled=${c.canceled} failed=${JSON.stringify(c.failedByCode)} refused=${JSON.stringify(c.refusedByCode)}`);
    log(`  lost=${c.lost} duplicated=${c.duplicated} violations=${report.violations.length}`);
    log(`  crash detection (SIGKILL → unschedulable) ms: ${JSON.stringify(report.crashDetectionMs)}; hang detection (SIGSTOP → unschedulable) ms: ${JSON.stringify(report.hangDetectionMs)}`);
    for (const v of report.violations.slice(0, 20)) log(`  violation: ${v}`);
    if (process.env.FAULT_HISTORY_OUT !== undefined) writeFileSync(process.env.FAULT_HISTORY_OUT, JSON.stringify(history.entries));
    return report;
  } finally {
    await cluster.close();
  }
}
