import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildContentSecurityPolicy } from "./csp.js";

function directives(policy: string): Map<string, string> {
  return new Map(policy.split(";").map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0] as string, d.split(/\s+/).slice(1).join(" ")]));
}

describe("dashboard CSP", () => {
  it("allows nothing inline and nothing from elsewhere", () => {
    const policy = directives(buildContentSecurityPolicy());
    expect(policy.get("script-src")).toBe("'self'");
    expect(policy.get("style-src")).toBe("'self'");
    expect(policy.get("object-src")).toBe("'none'");
    expect(policy.get("frame-ancestors")).toBe("'none'");
    expect(buildContentSecurityPolicy()).not.toContain("unsafe");
  });

  it("index.html's meta policy is the header policy minus what a meta tag cannot carry", () => {
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(readFileSync("src-renderer/index.html", "utf8"))?.[1];
    expect(meta).toBeDefined();
    const header = directives(buildContentSecurityPolicy());
    header.delete("frame-ancestors"); // ignored (and logged as an error) in a <meta> policy
    expect(directives(meta as string)).toEqual(header);
  });
});
