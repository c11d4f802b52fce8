// Which browser origins may call the API cross-origin: the listed ones (ORCHD_ALLOWED_ORIGINS), and,
// when the operator opts in (ORCHD_CORS_ALLOW_LOCALHOST), web apps served over http from this machine's
// loopback names on any port. Shared by the host/origin guard and the CORS policy so they agree.

const LOCAL_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * True for `http://localhost[:port]`, `http://127.0.0.1[:port]` and `http://[::1][:port]`, written
 * exactly as a browser sends Origin (no path, no user info, lower-case). https and other loopback
 * spellings (127.0.0.2, localhost.) are not included: browsers only send these three for local dev servers.
 */
export function isLocalAppOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === "http:" && LOCAL_HOSTNAMES.has(url.hostname) && url.origin === origin;
}

export interface OriginAllowance {
  /** Browser origins allowed to call the API cross-origin (ORCHD_ALLOWED_ORIGINS). */
  allowedOrigins: () => readonly string[];
  /** Also allow local web apps (isLocalAppOrigin); read per request, so a config reload applies. */
  allowLocalhost?: () => boolean;
}

export function originAllowed(origin: string, allowance: OriginAllowance): boolean {
  return allowance.allowedOrigins().includes(origin) || (allowance.allowLocalhost?.() === true && isLocalAppOrigin(origin));
}
