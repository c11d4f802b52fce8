import type { Scope } from "../src-shared/auth/scopes.js";
import { CreatedApiKeySchema, type CreatedApiKey } from "../src-shared/dashboard/api-keys.js";

/** Creates an API key through POST /v2/auth/keys with the orchestrator's admin token; the answer carries the secret once. */
export async function createApiKey(orch: { api(path: string, init?: RequestInit): Promise<Response> }, name: string, scopes: readonly Scope[]): Promise<CreatedApiKey> {
  const res = await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name, scopes }) });
  if (res.status !== 201) throw new Error(`creating API key "${name}": ${res.status} ${await res.text()}`);
  return CreatedApiKeySchema.parse(await res.json());
}
