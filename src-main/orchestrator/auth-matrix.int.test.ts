// The auth matrix, table-driven over ORCHESTRATOR_ROUTES: every route × every credential gives the
// documented status. No credential, a wrong token or a revoked key → 401 (MISSING_TOKEN / BAD_TOKEN);
// a valid key whose scopes do not cover the route → 403 FORBIDDEN_SCOPE; one that does → neither.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCOPES, scopesAdmit, type Scope } from "../../src-shared/auth/scopes.js";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { requiredScopes } from "../../src-shared/contract/route-scopes.js";
import type { RouteSpec } from "../../src-shared/contract/route-spec.js";
import { CreatedApiKeySchema } from "../../src-shared/dashboard/api-keys.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { AnthropicErrorSchema } from "../../src-shared/anthropic/anthropic-error.js";
import { OllamaErrorSchema } from "../../src-shared/ollama/ollama-error.js";
import { OpenAiErrorSchema } from "../../src-shared/openai/openai-error.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";

type Credential = { name: string; header: Record<string, string>; expect: { status: 401; code: "MISSING_TOKEN" | "BAD_TOKEN" } | { scopes: readonly Scope[] } };

let orch: TestOrchestrator;
const credentials: Credential[] = [];

async function createKey(name: string, scopes: readonly Scope[]): Promise<string> {
  const res = await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name, scopes }) });
  return CreatedApiKeySchema.parse(await res.json()).key;
}

beforeAll(async () => {
  orch = await startTestOrchestrator({ pool_probe_interval_ms: 0 });
  const revoked = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "revoked", scopes: ["admin"] }) })).json());
  expect((await orch.api(`/v2/auth/keys/${revoked.id}`, { method: "DELETE" })).status).toBe(204);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  credentials.push(
    { name: "no credential", header: {}, expect: { status: 401, code: "MISSING_TOKEN" } },
    { name: "wrong token", header: bearer("wrong-token-wrong-token-wrong-token-00"), expect: { status: 401, code: "BAD_TOKEN" } },
    { name: "revoked key", header: bearer(revoked.key), expect: { status: 401, code: "BAD_TOKEN" } },
    { name: "configured token", header: bearer(TEST_TOKEN), expect: { scopes: ["admin"] } },
  );
  for (const scope of SCOPES) credentials.push({ name: `${scope} key`, header: bearer(await createKey(`matrix ${scope}`, [scope])), expect: { scopes: [scope] } });
  credentials.push({ name: "inference+read key", header: bearer(await createKey("matrix inference+read", ["inference", "read"])), expect: { scopes: ["inference", "read"] } });
  const login = await fetch(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`, { redirect: "manual" });
  credentials.push({ name: "dashboard session", header: { cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] as string }, expect: { scopes: ["admin"] } });
});
afterAll(async () => {
  await orch.close();
});

function concretePath(path: string): string {
  return path.replace(/\{(\w+)\}/g, "x1");
}

/** One call; streams are cancelled once the status is known. */
async function call(route: RouteSpec, headers: Record<string, string>): Promise<{ status: number; code: string | undefined }> {
  const controller = new AbortController();
  const res = await fetch(`${orch.url}${concretePath(route.path)}`, {
    method: route.method.toUpperCase(),
    signal: controller.signal,
    headers: { ...headers, ...(route.body ? { "content-type": "application/json" } : {}) },
    ...(route.body ? { body: "{}" } : {}),
  });
  if (res.status === 200 && route.sse) {
    controller.abort();
    return { status: 200, code: undefined };
  }
  const text = await res.text();
  if (res.status < 400) return { status: res.status, code: undefined };
  const json: unknown = JSON.parse(text);
  // Anthropic's and Ollama's error shapes carry no code: the status alone is checked for those routes.
  // Anthropic's and Ollama's error shapes carry no code of ours: only the status is compared there.
  if (route.errorStyle === "anthropic" || route.errorStyle === "ollama") {
    (route.errorStyle === "anthropic" ? AnthropicErrorSchema : OllamaErrorSchema).parse(json);
    return { status: res.status, code: "" };
  }
  const code = route.errorStyle === "openai" ? OpenAiErrorSchema.parse(json).error.code : ErrorEnvelopeSchema.parse(json).code;
  return { status: res.status, code: code ?? undefined };
}

const authRoutes = ORCHESTRATOR_ROUTES.filter((r) => r.auth);

describe("auth matrix: every route × every credential", () => {
  it("covers every authenticated route and resolves a scope for each", () => {
    expect(authRoutes.length).toBeGreaterThanOrEqual(40);
    for (const route of authRoutes) expect(requiredScopes(route).length).toBeGreaterThan(0);
  });

  it.each(authRoutes.map((r) => [r.method.toUpperCase(), r.path, r] as const))("%s %s", async (_m, _p, route) => {
    const required = requiredScopes(route);
    const codeless = route.errorStyle === "anthropic" || route.errorStyle === "ollama";
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const credential of credentials) {
      const { status, code } = await call(route, credential.header);
      const admitted = "scopes" in credential.expect && scopesAdmit(credential.expect.scopes, required);
      outcomes.push(`${credential.name}: ${status === 401 || status === 403 ? `${status} ${code ?? ""}` : admitted ? "admitted" : `${status} ${code ?? ""}`}`);
      expected.push(`${credential.name}: ${"status" in credential.expect ? `401 ${codeless ? "" : credential.expect.code}` : admitted ? "admitted" : `403 ${codeless ? "" : "FORBIDDEN_SCOPE"}`}`);
    }
    expect(outcomes).toEqual(expected);
  });
});

describe("what each scope may do (the measured problems)", () => {
  it("a worker key cannot create keys, read logs or mint dashboard login codes", async () => {
    const workerKey = { authorization: `Bearer ${await createKey("w1 join", ["worker"])}`, "content-type": "application/json" };
    const created = await fetch(`${orch.url}/v2/auth/keys`, { method: "POST", headers: workerKey, body: JSON.stringify({ name: "escalate", scopes: ["admin"] }) });
    expect(created.status).toBe(403);
    expect(ErrorEnvelopeSchema.parse(await created.json()).code).toBe("FORBIDDEN_SCOPE");
    expect((await fetch(`${orch.url}/v2/logs`, { headers: workerKey })).status).toBe(403);
    expect((await fetch(`${orch.url}/v2/auth/login-codes`, { method: "POST", headers: workerKey })).status).toBe(403);
  });

  it("the scheme in any letter case is a bearer token; two Authorization (or Host) headers are a 400, not the first one's answer", async () => {
    for (const scheme of ["bearer", "BEARER"]) expect((await fetch(`${orch.url}/v2/settings`, { headers: { authorization: `${scheme} ${TEST_TOKEN}` } })).status, scheme).toBe(200);
    const port = new URL(orch.url).port;
    const raw = (head: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => socket.end(`GET /v2/settings HTTP/1.1\r\n${head}Connection: close\r\n\r\n`));
        let text = "";
        socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
    const inference = await createKey("twice", ["inference"]);
    for (const head of [`Host: 127.0.0.1\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nAuthorization: Bearer ${inference}\r\n`, `Host: 127.0.0.1\r\nAuthorization: Bearer ${inference}\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n`, `Host: 127.0.0.1\r\nHost: evil.com\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n`]) {
      const answer = await raw(head);
      expect(answer.split("\r\n")[0], head).toBe("HTTP/1.1 400 Bad Request");
      expect(answer).toContain("MALFORMED_REQUEST");
    }
    expect((await raw(`Host: 127.0.0.1\r\nAuthorization: Bearer ${TEST_TOKEN}\r\n`)).split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  });

  it("a key without scopes gets the documented default (inference) and the list shows every key's scopes", async () => {
    const created = CreatedApiKeySchema.parse(await (await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "default" }) })).json());
    expect(created.scopes).toEqual(["inference"]);
    const list = (await (await orch.api("/v2/auth/keys")).json()) as { keys: { id: string; scopes: Scope[]; source: string }[] };
    expect(list.keys.find((k) => k.id === created.id)?.scopes).toEqual(["inference"]);
    expect(list.keys.filter((k) => k.source === "config").every((k) => k.scopes.join() === "admin")).toBe(true);
  });

  it("refuses unknown or duplicate scopes", async () => {
    expect((await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "x", scopes: ["root"] }) })).status).toBe(400);
    expect((await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "x", scopes: [] }) })).status).toBe(400);
    expect((await orch.api("/v2/auth/keys", { method: "POST", body: JSON.stringify({ name: "x", scopes: ["read", "read"] }) })).status).toBe(400);
  });
});
