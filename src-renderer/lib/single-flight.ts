/**
 * Runs one action at a time: a call while the previous one is still running is dropped (returns false).
 * Buttons that start work on the orchestrator (pull, import, use in place) go through it, so a double
 * click starts exactly one download or import; `onChange` tells the view when to disable them.
 */
export function singleFlight(onChange: (busy: boolean) => void = () => undefined) {
  let busy = false;
  return async (action: () => Promise<void>): Promise<boolean> => {
    if (busy) return false;
    busy = true;
    onChange(true);
    try {
      await action();
      return true;
    } finally {
      busy = false;
      onChange(false);
    }
  };
}
