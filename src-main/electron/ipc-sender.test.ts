import { describe, expect, it } from "vitest";
import { isTrustedSender } from "./ipc-sender.js";

const ORIGIN = "http://127.0.0.1:8080";

describe("isTrustedSender", () => {
  it("trusts the dashboard's main frame at the orchestrator's origin, on any path", () => {
    expect(isTrustedSender({ url: "http://127.0.0.1:8080/", isMainFrame: true }, ORIGIN)).toBe(true);
    expect(isTrustedSender({ url: "http://127.0.0.1:8080/#/models", isMainFrame: true }, ORIGIN)).toBe(true);
  });

  it("refuses subframes, even same-origin ones", () => {
    expect(isTrustedSender({ url: "http://127.0.0.1:8080/", isMainFrame: false }, ORIGIN)).toBe(false);
  });

  it("refuses a missing or destroyed frame", () => {
    expect(isTrustedSender(null, ORIGIN)).toBe(false);
    expect(isTrustedSender(undefined, ORIGIN)).toBe(false);
  });

  it("refuses other origins and opaque URLs", () => {
    for (const url of ["http://127.0.0.1:9999/", "http://localhost:8080/", "https://127.0.0.1:8080/", "https://evil.example/", "file:///app/index.html", "about:blank", "data:text/html,x", "devtools://devtools/", ""]) {
      expect(isTrustedSender({ url, isMainFrame: true }, ORIGIN), url).toBe(false);
    }
  });
});
