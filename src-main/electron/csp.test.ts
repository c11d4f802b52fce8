import { describe, expect, it } from "vitest";
import { buildContentSecurityPolicy, isOrchestratorResponse, parseOrigin, withCspHeader } from "./csp.js";

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name as string, values]));
}

describe("buildContentSecurityPolicy", () => {
  const csp = directives(buildContentSecurityPolicy());

  it("allows only the orchestrator's own origin for scripts, styles and connections", () => {
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.get("script-src")).toEqual(["'self'"]);
    expect(csp.get("style-src")).toEqual(["'self'"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
  });

  it("never allows inline or eval code", () => {
    for (const values of csp.values()) {
      expect(values).not.toContain("'unsafe-inline'");
      expect(values).not.toContain("'unsafe-eval'");
      expect(values).not.toContain("*");
    }
  });

  it("blocks plugins, framing and base-uri hijacking", () => {
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("frame-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
  });

  it("is at least as strict as the dashboard's index.html meta policy", () => {
    // The meta tag in src-renderer/index.html: the header must not loosen any directive it sets.
    const meta = directives("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    for (const [name, values] of meta) expect(csp.get(name), name).toEqual(values);
  });
});

describe("withCspHeader", () => {
  it("adds the header and keeps the others as arrays", () => {
    expect(withCspHeader({ "content-type": "text/html", "Set-Cookie": ["a=1", "b=2"] }, "default-src 'self'")).toEqual({
      "content-type": ["text/html"],
      "Set-Cookie": ["a=1", "b=2"],
      "Content-Security-Policy": ["default-src 'self'"],
    });
  });

  it("replaces a server CSP whatever its case, so there is exactly one", () => {
    const out = withCspHeader({ "content-security-policy": ["default-src *"], "Content-Security-Policy": "script-src *" }, "default-src 'self'");
    expect(Object.keys(out).filter((k) => k.toLowerCase() === "content-security-policy")).toEqual(["Content-Security-Policy"]);
    expect(out["Content-Security-Policy"]).toEqual(["default-src 'self'"]);
  });

  it("handles a response without headers", () => {
    expect(withCspHeader(undefined, "x")).toEqual({ "Content-Security-Policy": ["x"] });
  });
});

describe("origins", () => {
  it("matches responses from the orchestrator's origin only", () => {
    expect(isOrchestratorResponse("http://127.0.0.1:8080/assets/app.js", "http://127.0.0.1:8080")).toBe(true);
    expect(isOrchestratorResponse("http://127.0.0.1:8081/", "http://127.0.0.1:8080")).toBe(false);
    expect(isOrchestratorResponse("http://localhost:8080/", "http://127.0.0.1:8080")).toBe(false);
    expect(isOrchestratorResponse("devtools://devtools/bundled/x.html", "http://127.0.0.1:8080")).toBe(false);
  });

  it("parseOrigin returns null for opaque or invalid URLs", () => {
    expect(parseOrigin("about:blank")).toBeNull();
    expect(parseOrigin("data:text/html,hi")).toBeNull();
    expect(parseOrigin("file:///etc/passwd")).toBeNull();
    expect(parseOrigin("not a url")).toBeNull();
    expect(parseOrigin("http://[::1]:9000/x")).toBe("http://[::1]:9000");
  });
});
