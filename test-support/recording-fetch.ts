/**
 * A fetch for client libraries under test that keeps the first request body each client sent to each
 * route (what a stack really puts on the wire), so a test can assert on it and a failure can show it.
 * With CLIENT_STACKS_LOG=1 in the environment each first body is also printed once.
 */
export interface RecordingFetch {
  fetch: typeof fetch;
  /** First JSON body sent to `path` (e.g. "/v1/chat/completions"), or undefined. */
  body(path: string): unknown;
  /** Every JSON body sent to `path`, in order. */
  bodies(path: string): unknown[];
  clear(): void;
}

export function recordingFetch(label: string): RecordingFetch {
  const sent = new Map<string, unknown[]>();
  const logged = new Set<string>();
  const record: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const text = typeof init?.body === "string" ? init.body : undefined;
    if (text !== undefined) {
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as the raw text
      }
      sent.set(url.pathname, [...(sent.get(url.pathname) ?? []), parsed]);
      if (process.env.CLIENT_STACKS_LOG === "1" && !logged.has(url.pathname)) {
        logged.add(url.pathname);
        process.stderr.write(`[${label}] ${init?.method ?? "GET"} ${url.pathname} ${text}\n`);
      }
    }
    return fetch(input, init);
  };
  return {
    fetch: record,
    body: (path) => sent.get(path)?.[0],
    bodies: (path) => sent.get(path) ?? [],
    clear: () => sent.clear(),
  };
}
