import { describe, expect, it } from "vitest";
import { mayGrantScopes, scopesAdmit } from "../auth/scopes.js";
import { ORCHESTRATOR_ROUTES } from "./orchestrator-routes.js";
import { requiredScopes } from "./route-scopes.js";
import type { RouteSpec } from "./route-spec.js";

const route = (method: RouteSpec["method"], path: string, extra: Partial<RouteSpec> = {}): RouteSpec => ({ method, path, operationId: "x", summary: "", tag: "t", auth: true, responses: {}, ...extra });
const scopesOf = (method: RouteSpec["method"], path: string) => {
  const found = ORCHESTRATOR_ROUTES.find((r) => r.method === method && r.path === path);
  if (found === undefined) throw new Error(`no route ${method} ${path}`);
  return requiredScopes(found);
};

describe("route scopes", () => {
  it("resolves every orchestrator route", () => {
    for (const r of ORCHESTRATOR_ROUTES.filter((x) => x.auth)) expect(requiredScopes(r).length, r.path).toBeGreaterThan(0);
  });

  it("gives the documented scope to the routes that matter", () => {
    expect(scopesOf("post", "/v1/chat/completions")).toEqual(["inference"]);
    expect(scopesOf("post", "/v2/tasks")).toEqual(["inference"]);
    expect(scopesOf("get", "/v2/tasks")).toEqual(["inference", "read"]);
    expect(scopesOf("post", "/v2/nodes/register")).toEqual(["worker"]);
    expect(scopesOf("post", "/v2/nodes/{id}/heartbeat")).toEqual(["worker"]);
    expect(scopesOf("delete", "/v2/nodes/{id}")).toEqual(["worker"]);
    expect(scopesOf("get", "/v2/nodes")).toEqual(["read"]);
    expect(scopesOf("post", "/v2/nodes/{id}/forget")).toEqual(["admin"]);
    expect(scopesOf("get", "/v2/logs")).toEqual(["admin"]);
    expect(scopesOf("get", "/v2/auth/keys")).toEqual(["admin"]);
    expect(scopesOf("post", "/v2/auth/login-codes")).toEqual(["admin"]);
    expect(scopesOf("put", "/v2/settings")).toEqual(["admin"]);
  });

  it("defaults new routes by prefix, and refuses a route nothing covers", () => {
    expect(requiredScopes(route("post", "/v1/messages"))).toEqual(["inference"]);
    expect(requiredScopes(route("post", "/api/chat"))).toEqual(["inference"]);
    expect(requiredScopes(route("post", "/v2/catalog/models/{id}/stage"))).toEqual(["admin"]);
    expect(requiredScopes(route("get", "/v2/staging", { scopes: ["read", "worker"] }))).toEqual(["read", "worker"]);
    expect(() => requiredScopes(route("get", "/v2/brand-new"))).toThrow(/no scope/);
    expect(() => requiredScopes(route("get", "/v1x"))).toThrow(/no scope/);
    expect(() => requiredScopes(route("get", "/v2/logs", { scopes: [] }))).toThrow(/admits nobody/);
  });

  it("admin admits everything; no credential grants more than it holds", () => {
    expect(scopesAdmit(["admin"], ["worker"])).toBe(true);
    expect(scopesAdmit(["read"], ["inference", "read"])).toBe(true);
    expect(scopesAdmit(["worker"], ["read"])).toBe(false);
    expect(mayGrantScopes(["admin"], ["admin", "worker"])).toBe(true);
    expect(mayGrantScopes(["read", "inference"], ["read"])).toBe(true);
    expect(mayGrantScopes(["read"], ["read", "inference"])).toBe(false);
    expect(mayGrantScopes(["worker"], ["admin"])).toBe(false);
  });
});
