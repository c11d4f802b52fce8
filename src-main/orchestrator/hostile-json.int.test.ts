import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANTHROPIC_ROUTES, OLLAMA_ROUTES, OPENAI_ROUTES } from "../../src-shared/contract/compat-routes.js";
import { JSON_MEDIA_TYPE } from "../../src-shared/contract/route-spec.js";
import { ORCHESTRATOR_ROUTES } from "../../src-shared/contract/orchestrator-routes.js";
import { NodeListResponseSchema } from "../../src-shared/nodes/node-info.js";
import { startCompatCluster, type CompatCluster } from "../../test-support/compat-cluster.js";
import { testModelName } from "../../test-support/models.js";

// JSON.parse accepts any nesting, but everything recursive after it (schema walks, JSON.stringify into
// the journal or to a worker) overflowed the stack on a body nested thousands of levels deep: a 500,
// and on /v2/tasks the node was marked Suspect, since the failed send to the worker looked like a
// broken connection. Every JSON route must answer such a body with a 400 and change nothing.
const TINY = testModelName("tiny");
let cluster: CompatCluster;

const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

async function nodeStatus(): Promise<string | undefined> {
  return NodeListResponseSchema.parse(await (await cluster.orch.api("/v2/nodes")).json()).nodes.find((n) => n.node_id === "node-deep")?.status;
}

beforeAll(async () => {
  cluster = await startCompatCluster("node-deep", ["tiny"]);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

describe("a __proto__ key (JSON.parse makes it an own key; copying the body turned it into the prototype)", () => {
  it("is refused on every JSON route, and its fields are never read past validation", async () => {
    const routes = [...ORCHESTRATOR_ROUTES, ...OPENAI_ROUTES, ...ANTHROPIC_ROUTES, ...OLLAMA_ROUTES].filter((r) => r.body?.content[JSON_MEDIA_TYPE] !== undefined);
    for (const route of routes) {
      const res = await cluster.orch.api(route.path.replace(/\{[^}]+\}/g, "x"), { method: route.method.toUpperCase(), body: `{"model":"${TINY}","__proto__":{"x":1}}`, headers: { "content-type": "application/json" } });
      expect(res.status, `${route.method} ${route.path}`).toBe(400);
      expect(await res.text(), `${route.method} ${route.path}`).toContain("a __proto__ key is not accepted");
    }
    // It used to pass: max_tokens read through the prototype, unvalidated, and the 100,000 never refused.
    const chat = await cluster.orch.api("/v1/chat/completions", { method: "POST", body: `{"model":"${TINY}","messages":[{"role":"user","content":"hi"}],"__proto__":{"max_tokens":100000}}` });
    expect(chat.status).toBe(400);
  });
});

describe("bodies nested 100,000 levels deep", () => {
  it("every JSON route of the orchestrator and the compatible surfaces answers 400, never 500", async () => {
    const routes = [...ORCHESTRATOR_ROUTES, ...OPENAI_ROUTES, ...ANTHROPIC_ROUTES, ...OLLAMA_ROUTES].filter((r) => r.body?.content[JSON_MEDIA_TYPE] !== undefined);
    expect(routes.length).toBeGreaterThan(30);
    const body = `{"model":"${TINY}","x":${deep(100_000)}}`;
    for (const route of routes) {
      const path = route.path.replace(/\{[^}]+\}/g, "x");
      const res = await cluster.orch.api(path, { method: route.method.toUpperCase(), body, headers: { "content-type": "application/json" } });
      expect(res.status, `${route.method} ${route.path}`).toBeLessThan(500);
      await res.body?.cancel();
    }
    expect(cluster.orch.logs.filter((l) => l.includes("Maximum call stack"))).toEqual([]);
  });

  it("/v2/tasks: a deep or inexpressible format schema is refused before queueing and the node stays Online", async () => {
    const task = (format: string) => `{"task_id":"${crypto.randomUUID()}","session_id":"${crypto.randomUUID()}","workload":"completion","model_ref":"${TINY}","engine":"llamacpp","ctx":256,"priority":"interactive","prompt":"hi","max_tokens":2,"deadline_ms":60000,"format":${format}}`;
    const tooDeep = await cluster.orch.api("/v2/tasks", { method: "POST", body: task(`{"type":"json_schema","schema":{"type":"object","x":${deep(300_000)}}}`) });
    expect(tooDeep.status).toBe(400);
    expect(await tooDeep.json()).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/nested deeper than 128 levels/) });
    // Within the body limit but deeper than a grammar is built for.
    const nest = (n: number): string => (n === 0 ? `{"type":"string"}` : `{"type":"array","items":${nest(n - 1)}}`);
    const deepSchema = await cluster.orch.api("/v2/tasks", { method: "POST", body: task(`{"type":"json_schema","schema":${nest(80)}}`) });
    expect(deepSchema.status).toBe(400);
    expect(await deepSchema.json()).toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/^format\.schema uses nesting deeper than 64 JSON levels/) });
    const pattern = await cluster.orch.api("/v2/tasks", { method: "POST", body: task(`{"type":"json_schema","schema":{"type":"string","pattern":"^a"}}`) });
    expect(pattern.status).toBe(400);
    expect(await pattern.json()).toMatchObject({ message: expect.stringMatching(/^format\.schema uses pattern/) });
    expect(await nodeStatus()).toBe("Online");
    // And a schema the grammar expresses still runs.
    const ok = await cluster.orch.api("/v2/tasks", { method: "POST", body: task(`{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}`) });
    expect(ok.status).toBe(202);
  });
});
