// How a CLI subcommand (join-token, selftest) reaches the running orchestrator from a shell on its
// machine: the base URL from its bind address (https when TLS is on, trusting the cluster CA), and an
// admin credential: LLORCH_API_TOKEN, a configured token, or the generated <data dir>/api-token.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { splitHostPort } from "../../src-shared/config/host-port.js";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import { clusterFetch, type FetchLike } from "../../src-node/tls/cluster-fetch.js";

/** Where and how to reach the running orchestrator described by `config`. */
export function endpoint(config: OrchestratorConfig, url: string | undefined): { base: string; fetch: FetchLike } {
  const { host, port } = splitHostPort(config.bind_addr);
  const local = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const base = (url ?? `${config.tls ? "https" : "http"}://${local}:${port}`).replace(/\/+$/, "");
  if (!base.startsWith("https:")) return { base, fetch: globalThis.fetch };
  const caFile = config.tls_ca_cert_file ?? join(config.data_dir, "tls", "ca.pem");
  return { base, fetch: existsSync(caFile) ? clusterFetch(readFileSync(caFile, "utf8"), { role: "orchestrator" }) : globalThis.fetch };
}

export function credential(config: OrchestratorConfig, env: NodeJS.ProcessEnv): string | undefined {
  const configured = env.LLORCH_API_TOKEN ?? config.api_tokens[0];
  if (configured !== undefined && configured !== "") return configured;
  const file = join(config.data_dir, "api-token");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/**
 * Why a call to the orchestrator failed, in an operator's words: "fetch failed" and a JSON parser's
 * complaint about "<!DOCTYPE" said neither that nothing listens there nor that something else does.
 */
export function unreachableReason(error: unknown): string {
  if (error instanceof SyntaxError) return "something answers there, but not a llama-orch orchestrator (its answer is not JSON): check --url or the bind address";
  const message = error instanceof Error ? error.message : String(error);
  if (/Failed to parse URL|Invalid URL/.test(message)) return "not a URL: --url takes the orchestrator's base URL, e.g. http://127.0.0.1:8080";
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (cause === "ECONNREFUSED") return "nothing listens there (ECONNREFUSED): is llama-orch running, on this address (--bind / --config / --url)?";
  if (error instanceof Error && error.name === "TimeoutError") return "no answer within 10 s";
  const causeMessage = (error as { cause?: { message?: unknown } } | null)?.cause?.message;
  return typeof cause === "string" ? `${message} (${cause})` : typeof causeMessage === "string" ? `${message} (${causeMessage})` : message;
}
