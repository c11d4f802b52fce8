// `llama-orch join-token create|list|revoke`: the operator's side of joining a worker, from a shell on
// the orchestrator's machine. It calls the running orchestrator's API (docs/SECURITY.md "Joining a
// worker") with LLORCH_API_TOKEN or the generated <data dir>/api-token, over TLS when it is on,
// trusting the cluster CA in <data dir>/tls/ca.pem (or the operator's).
import { parseArgs } from "node:util";
import { CreatedJoinTokenSchema, JoinTokenListResponseSchema } from "../../src-shared/auth/join-tokens.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import { credential, endpoint, unreachableReason } from "./orchestrator-endpoint.js";

export const JOIN_TOKEN_USAGE = `Usage: llama-orch join-token <create|list|revoke> [options]

  create [--node-id <id>] [--ttl <minutes>]   mint a single-use join token; prints the worker command
  list                                        unspent join tokens (fingerprints, never the token)
  revoke <id>                                 revoke an unspent join token

Options (besides --config / --data-dir / --bind, which locate the orchestrator):
  --url <base url>       the orchestrator to call (default: from its bind address; https when tls is on)
  --public-url <url>     the URL workers reach it at, put in the printed command (default: --url)
  --json                 print the API's JSON answer instead of text
The token is LLORCH_API_TOKEN, else the generated <data dir>/api-token.`;

type Out = (text: string) => void;

export async function runJoinTokenCommand(argv: readonly string[], config: OrchestratorConfig, env: NodeJS.ProcessEnv, out: Out, err: Out): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { "node-id": { type: "string" }, ttl: { type: "string" }, url: { type: "string" }, "public-url": { type: "string" }, json: { type: "boolean", default: false } }, allowPositionals: true, strict: true });
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n\n${JOIN_TOKEN_USAGE}`);
    return 2;
  }
  const [action, id, ...extra] = parsed.positionals;
  const { values } = parsed;
  if (extra.length > 0 || (action === "revoke") !== (id !== undefined) || !["create", "list", "revoke"].includes(action ?? "")) {
    err(JOIN_TOKEN_USAGE);
    return 2;
  }
  const token = credential(config, env);
  if (token === undefined) {
    err("llama-orch join-token: no credential: set LLORCH_API_TOKEN (an admin token) or run where the generated <data dir>/api-token is");
    return 2;
  }
  const { base, fetch } = endpoint(config, values.url);
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return { status: res.status, json: text === "" ? null : (JSON.parse(text) as unknown) };
  };
  const refused = (status: number, json: unknown): number => {
    const envelope = ErrorEnvelopeSchema.safeParse(json);
    err(`llama-orch join-token: HTTP ${status}${envelope.success ? ` ${envelope.data.code}: ${envelope.data.message}` : ""}`);
    return 1;
  };
  try {
    if (action === "create") {
      let ttlMs: number | undefined;
      if (values.ttl !== undefined) {
        if (!/^\d+(\.\d+)?$/.test(values.ttl)) {
          err("llama-orch join-token: --ttl takes minutes, e.g. --ttl 60");
          return 2;
        }
        ttlMs = Math.round(Number(values.ttl) * 60_000);
      }
      const { status, json } = await call("POST", "/v2/auth/join-tokens", { ...(values["node-id"] !== undefined ? { node_id: values["node-id"] } : {}), ...(ttlMs !== undefined ? { ttl_ms: ttlMs } : {}), orchestrator_url: values["public-url"] ?? base });
      if (status !== 201) return refused(status, json);
      const created = CreatedJoinTokenSchema.parse(json);
      if (values.json) out(JSON.stringify(created));
      else {
        out(`join token ${created.id} (fp6 ${created.fp6})${created.node_id !== null ? ` for node ${created.node_id}` : ""}, single use, expires ${new Date(created.expires_at_ms).toISOString()}`);
        out(`shown once; on the worker machine run:\n`);
        out(`  llama-orch-worker start --join '${created.join}'${created.node_id !== null ? ` --node-id ${created.node_id}` : ""} --models-dir ~/models --bind 0.0.0.0:9200 --advertise-url ${created.ca_fingerprint !== null ? "https" : "http"}://$(hostname):9200`);
      }
      return 0;
    }
    if (action === "list") {
      const { status, json } = await call("GET", "/v2/auth/join-tokens");
      if (status !== 200) return refused(status, json);
      const list = JoinTokenListResponseSchema.parse(json);
      if (values.json) out(JSON.stringify(list));
      else if (list.join_tokens.length === 0) out("no unspent join tokens");
      else for (const t of list.join_tokens) out(`${t.id}  fp6 ${t.fp6}  node ${t.node_id ?? "(any)"}  expires ${new Date(t.expires_at_ms).toISOString()}  by ${t.created_by}`);
      return 0;
    }
    const { status, json } = await call("DELETE", `/v2/auth/join-tokens/${encodeURIComponent(id ?? "")}`);
    if (status !== 204) return refused(status, json);
    out(values.json ? JSON.stringify({ revoked: id }) : `revoked join token ${id}`);
    return 0;
  } catch (e) {
    err(`llama-orch join-token: cannot reach the orchestrator at ${base}: ${unreachableReason(e)}`);
    return 1;
  }
}
