// The one way tests wait for something: poll a probe until it answers, bounded in time (and so in
// count), with a message that says what was awaited and the last value (or error) seen. A probe that
// throws counts as "not yet" (a page element not rendered, a server restarting).

type Falsy = undefined | null | false;

/** Polls `probe` until it returns a value other than undefined/null/false; resolves with it. */
export function waitFor<T>(what: string, probe: () => Promise<T | Falsy> | T | Falsy, timeoutMs?: number, intervalMs?: number): Promise<T>;
/** Polls `read` until `predicate` holds for its value; resolves with that value. */
export function waitFor<T>(read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs?: number, intervalMs?: number): Promise<T>;
export async function waitFor<T>(
  first: string | (() => Promise<T>),
  second: ((value: T) => boolean) | (() => Promise<T | Falsy> | T | Falsy),
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const what = typeof first === "string" ? first : "a condition";
  const attempt: () => Promise<{ done: boolean; value: unknown }> =
    typeof first === "string"
      ? async () => {
          const value = await (second as () => Promise<T | Falsy> | T | Falsy)();
          return { done: value !== undefined && value !== null && value !== false, value };
        }
      : async () => {
          const value = await first();
          return { done: (second as (value: T) => boolean)(value), value };
        };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const { done, value } = await attempt();
      if (done) return value as T;
      last = value;
    } catch (err) {
      last = err instanceof Error ? `error: ${err.message}` : err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
