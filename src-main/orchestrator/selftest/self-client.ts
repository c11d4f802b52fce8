import type { FetchLike } from "../../../src-node/tls/cluster-fetch.js";

export interface SelfAnswer {
  status: number;
  json: unknown;
}

/**
 * The orchestrator calling its own public API, as a client would (auth, admission, placement and the
 * proxy all included): what the self-test measures "through the orchestrator". It presents the
 * orchestrator's own admin token, never the caller's.
 */
export class SelfClient {
  constructor(
    private readonly baseUrl: () => string | null,
    private readonly token: string,
    private readonly fetch: FetchLike,
  ) {}

  async call(method: "GET" | "POST", path: string, body: unknown, signal: AbortSignal): Promise<SelfAnswer> {
    const base = this.baseUrl();
    if (base === null) throw new Error("the orchestrator is not listening yet");
    const res = await this.fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }
}
