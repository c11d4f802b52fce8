// Where the dashboard window may go: pure decisions, applied by window.ts to `will-navigate`,
// `will-redirect`, `setWindowOpenHandler` and the session's permission handlers.
import { parseOrigin } from "./csp.js";

/** Hosts whose https links may be opened in the user's browser (docs, project pages). */
export const EXTERNAL_LINK_ALLOWLIST: readonly string[] = ["github.com", "docs.github.com", "huggingface.co", "nodejs.org", "electronjs.org", "www.electronjs.org"];

/** In-window navigation is allowed only within the orchestrator's origin. */
export function isAllowedNavigation(url: string, orchestratorOrigin: string): boolean {
  return parseOrigin(url) === orchestratorOrigin;
}

/**
 * What to do with a link the page tries to open in a new window or navigate away to: open it in the
 * system browser only when it is https and its host is on the allowlist (exactly, or a subdomain);
 * deny everything else. Never a new Electron window.
 */
export function externalLinkDecision(url: string, allowlist: readonly string[] = EXTERNAL_LINK_ALLOWLIST): "open-external" | "deny" {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "deny";
  }
  if (parsed.protocol !== "https:" || parsed.username !== "" || parsed.password !== "") return "deny";
  const host = parsed.hostname.toLowerCase();
  return allowlist.some((allowed) => host === allowed || host.endsWith(`.${allowed}`)) ? "open-external" : "deny";
}

/** Permissions the dashboard may be granted: none (no camera, mic, notifications, geolocation…). */
export function isPermissionAllowed(_permission: string): boolean {
  return false;
}

/**
 * The origin the window loads: the orchestrator's listening URL, except that a wildcard bind (0.0.0.0,
 * [::]) is reached through loopback.
 */
export function windowOrigin(listenUrl: string): string {
  const url = new URL(listenUrl);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  if (url.hostname === "[::]") url.hostname = "[::1]";
  return url.origin;
}
