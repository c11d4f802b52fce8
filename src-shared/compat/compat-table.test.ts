import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { JSON_MEDIA_TYPE } from "../contract/route-spec.js";
import { ORCHESTRATOR_ROUTES } from "../contract/orchestrator-routes.js";
import { OllamaOptionsSchema } from "../ollama/ollama-requests.js";
import { COMPAT_SURFACES, withCompatibilityTable } from "./compat-table.js";
import { findRefusal, topLevelName } from "./param-policy.js";

// Routes whose body only names a model (a lookup, or a management call answered with why it is not done).
const GENERATION_ROUTES_WITHOUT_POLICY = new Set(["POST /api/show", "POST /api/pull", "POST /api/create", "POST /api/copy", "DELETE /api/delete", "POST /api/push"]);

describe("compatibility table (docs/API.md)", () => {
  it("is what the route tables and parameter policies generate (run `npm run docs:api` after changing them)", () => {
    const doc = readFileSync("docs/API.md", "utf8");
    expect(doc).toBe(withCompatibilityTable(doc));
  });

  it("lists a nested object's keys only where the object is supported as a whole (not the embedding endpoints' options)", () => {
    const doc = readFileSync("docs/API.md", "utf8");
    expect(doc).toContain("| Ollama | `POST /api/embeddings` | `options` | partial |");
    expect(doc).not.toMatch(/\| `POST \/api\/embeddings` \| `options\./);
    expect(doc).toContain("| Ollama | `POST /api/chat` | `options.num_ctx` | supported |");
  });

  it("covers every compatible route of the orchestrator's table, and only those", () => {
    const compat = ORCHESTRATOR_ROUTES.filter((r) => ["openai", "anthropic", "ollama"].includes(r.tag));
    expect(COMPAT_SURFACES.flatMap((s) => s.routes)).toEqual(compat);
  });

  it("has a policy for every route with a request body, naming every field its schema parses", () => {
    for (const surface of COMPAT_SURFACES) {
      const withBody = surface.routes.filter((r) => r.body !== undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`);
      expect(Object.keys(surface.policies).sort()).toEqual(withBody.filter((e) => !GENERATION_ROUTES_WITHOUT_POLICY.has(e)).sort());
      for (const [endpoint, policy] of Object.entries(surface.policies)) {
        const route = surface.routes.find((r) => `${r.method.toUpperCase()} ${r.path}` === endpoint);
        const schema = route?.body?.content[JSON_MEDIA_TYPE] as z.ZodObject | undefined;
        const named = new Set(policy.rules.map((r) => topLevelName(r.param)));
        for (const key of Object.keys(schema?.shape ?? {})) expect(named.has(key), `${endpoint} ${key}`).toBe(true);
      }
    }
    const options = COMPAT_SURFACES.find((s) => s.name === "Ollama")?.nested?.["options"];
    for (const key of Object.keys(OllamaOptionsSchema.shape)) expect(options?.rules.some((r) => r.param === key), key).toBe(true);
  });

  it("refuses an unknown parameter, and each refused or partial rule has a predicate", () => {
    for (const surface of COMPAT_SURFACES) {
      for (const policy of [...Object.values(surface.policies), ...Object.values(surface.nested ?? {})]) {
        expect(findRefusal(policy, { no_such_parameter: 1 })?.message).toMatch(/^no_such_parameter is not supported: /);
        for (const rule of policy.rules) expect(rule.refuses !== undefined, `${surface.name} ${rule.param}`).toBe(rule.support !== "supported");
      }
    }
  });
});
