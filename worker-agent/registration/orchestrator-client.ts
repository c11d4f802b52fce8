import type { z } from "zod";
import type { FetchLike } from "../../src-node/tls/cluster-fetch.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { OrchestratorHealthResponseSchema } from "../../src-shared/meta/capabilities.js";
import { HeartbeatResponseSchema, type HeartbeatRequest, type HeartbeatResponse } from "../../src-shared/nodes/heartbeat.js";
import { RegisterNodeResponseSchema, type RegisterNodeRequest, type RegisterNodeResponse } from "../../src-shared/nodes/node-registration.js";

export type CallResult<T> = { ok: true; status: number; data: T | undefined } | { ok: false; status: number | undefined; reason: string };

/** The orchestrator's node endpoints (POST /v2/nodes/register, POST …/heartbeat, DELETE /v2/nodes/{id}). */
export class OrchestratorClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 5000,
    /** Over TLS, a fetch that trusts the pinned cluster CA only and wants the orchestrator's certificate. */
    private readonly fetch: FetchLike = globalThis.fetch,
  ) {}

  register(body: RegisterNodeRequest): Promise<CallResult<RegisterNodeResponse>> {
    return this.call("POST", "/v2/nodes/register", body, RegisterNodeResponseSchema);
  }

  heartbeat(nodeId: string, body: HeartbeatRequest): Promise<CallResult<HeartbeatResponse>> {
    return this.call("POST", `/v2/nodes/${encodeURIComponent(nodeId)}/heartbeat`, body, HeartbeatResponseSchema);
  }

  deregister(nodeId: string): Promise<CallResult<undefined>> {
    return this.call("DELETE", `/v2/nodes/${encodeURIComponent(nodeId)}`, undefined, undefined);
  }

  /** GET /health on the orchestrator and an authenticated probe (used by `doctor`). */
  async probe(): Promise<{ reachable: boolean; isOrchestrator: boolean; tokenAccepted: boolean | undefined; detail: string }> {
    try {
      const health = await this.fetch(new URL("/health", this.baseUrl), { signal: AbortSignal.timeout(this.timeoutMs) });
      // Any HTTP server answers; only an orchestrator answers /health with {"status":"ok","version":…}.
      const healthBody = await health.text().catch(() => "");
      let isOrchestrator = false;
      try {
        isOrchestrator = health.ok && OrchestratorHealthResponseSchema.safeParse(JSON.parse(healthBody)).success;
      } catch {
        // Not JSON: not an orchestrator.
      }
      // Listing nodes needs the token and changes nothing: 200 = accepted, 401/403 = rejected, except
      // that a worker-scoped key is valid yet may not list nodes (403 FORBIDDEN_SCOPE).
      const auth = await this.fetch(new URL("/v2/nodes", this.baseUrl), {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const authBody = await auth.text().catch(() => "");
      const scopedKey = auth.status === 403 && authBody.includes('"FORBIDDEN_SCOPE"');
      const tokenAccepted = scopedKey ? true : auth.status === 401 || auth.status === 403 ? false : auth.ok ? true : undefined;
      return { reachable: true, isOrchestrator, tokenAccepted, detail: `GET /health ${health.status}, GET /v2/nodes ${auth.status}` };
    } catch (error) {
      return { reachable: false, isOrchestrator: false, tokenAccepted: undefined, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private async call<T>(method: string, path: string, body: unknown, schema: z.ZodType<T> | undefined): Promise<CallResult<T>> {
    let response: Response;
    try {
      response = await this.fetch(new URL(path, this.baseUrl), {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, status: undefined, reason: `${error instanceof Error ? error.message : String(error)}${cause !== undefined ? ` (${cause})` : ""}` };
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) return { ok: false, status: response.status, reason: refusalReason(response, text) };
    if (schema === undefined || text === "") return { ok: true, status: response.status, data: undefined };
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      return { ok: true, status: response.status, data: parsed.success ? parsed.data : undefined };
    } catch {
      return { ok: true, status: response.status, data: undefined };
    }
  }
}

/**
 * An orchestrator refuses with its JSON error envelope; anything else (a web server's HTML page, a
 * proxy's 404) says so, so a wrong ORCHESTRATORD_URL is not mistaken for an orchestrator that is down.
 */
function refusalReason(response: Response, text: string): string {
  let envelope = false;
  try {
    envelope = ErrorEnvelopeSchema.safeParse(JSON.parse(text)).success;
  } catch {
    // Not JSON.
  }
  if (envelope) return `HTTP ${response.status}: ${text.slice(0, 300)}`;
  const type = response.headers.get("content-type") ?? "no content type";
  return `HTTP ${response.status} (${type.split(";")[0] ?? type}) from something that is not a llama-orch orchestrator, or a proxy in front of it: check ORCHESTRATORD_URL (host, port, path); body: ${text.slice(0, 120).replace(/\s+/g, " ")}`;
}
