import { describe, expect, it } from "vitest";
import { externalLinkDecision, isAllowedNavigation, isPermissionAllowed, windowOrigin } from "./navigation.js";

const ORIGIN = "http://127.0.0.1:8080";

describe("isAllowedNavigation", () => {
  it("allows paths and hash routes within the orchestrator's origin", () => {
    expect(isAllowedNavigation("http://127.0.0.1:8080/", ORIGIN)).toBe(true);
    expect(isAllowedNavigation("http://127.0.0.1:8080/#/settings", ORIGIN)).toBe(true);
    expect(isAllowedNavigation("http://127.0.0.1:8080/login?code=abc", ORIGIN)).toBe(true);
  });

  it("refuses other origins, schemes and look-alikes", () => {
    for (const url of [
      "http://127.0.0.1:8081/",
      "https://127.0.0.1:8080/",
      "http://localhost:8080/",
      "http://127.0.0.1:8080.evil.example/",
      "http://evil.example/?http://127.0.0.1:8080",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "data:text/html,<script>1</script>",
      "about:blank",
      "",
    ]) {
      expect(isAllowedNavigation(url, ORIGIN), url).toBe(false);
    }
  });
});

describe("externalLinkDecision", () => {
  it("opens allowlisted https links (and their subdomains) in the browser", () => {
    expect(externalLinkDecision("https://github.com/withcatai/node-llama-cpp")).toBe("open-external");
    expect(externalLinkDecision("https://huggingface.co/models?search=gguf")).toBe("open-external");
    expect(externalLinkDecision("https://docs.github.com/en")).toBe("open-external");
  });

  it("denies http, other hosts, credentials and suffix tricks", () => {
    for (const url of [
      "http://github.com/",
      "https://evil.example/",
      "https://github.com.evil.example/",
      "https://notgithub.com/",
      "https://user:pass@github.com/",
      "file:///tmp/x",
      "javascript:alert(1)",
      "garbage",
    ]) {
      expect(externalLinkDecision(url), url).toBe("deny");
    }
  });

  it("uses the given allowlist", () => {
    expect(externalLinkDecision("https://example.org/", ["example.org"])).toBe("open-external");
    expect(externalLinkDecision("https://github.com/", [])).toBe("deny");
  });
});

describe("permissions and origin", () => {
  it("denies every permission", () => {
    for (const p of ["media", "geolocation", "notifications", "clipboard-read", "openExternal", "fullscreen", "hid", "serial"]) expect(isPermissionAllowed(p)).toBe(false);
  });

  it("maps the listen URL to the window origin (wildcard binds through loopback)", () => {
    expect(windowOrigin("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(windowOrigin("http://0.0.0.0:9000")).toBe("http://127.0.0.1:9000");
    expect(windowOrigin("http://[::]:9000")).toBe("http://[::1]:9000");
    expect(windowOrigin("http://[::1]:9000")).toBe("http://[::1]:9000");
  });
});
