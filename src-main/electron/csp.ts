// Content-Security-Policy for the dashboard window. The dashboard's index.html carries its own CSP meta;
// the shell adds the same policy as a response header on every response from the orchestrator's origin
// (session.webRequest.onHeadersReceived), so the policy holds even for a page that lost its meta tag.

export { buildContentSecurityPolicy } from "../../src-shared/dashboard/csp.js";

export type ResponseHeaders = Record<string, string[] | string>;

/**
 * The response headers with the CSP set (any CSP header the server sent, whatever its case, is replaced
 * rather than merged, so there is exactly one).
 */
export function withCspHeader(headers: ResponseHeaders | undefined, csp: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === "content-security-policy") continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out["Content-Security-Policy"] = [csp];
  return out;
}

/** Whether a response URL is one the CSP header must be added to (the orchestrator's origin only). */
export function isOrchestratorResponse(url: string, orchestratorOrigin: string): boolean {
  return parseOrigin(url) === orchestratorOrigin;
}

/** The origin of a URL, or null when it does not parse or has none (about:, data:, file:). */
export function parseOrigin(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}
