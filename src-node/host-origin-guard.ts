import type { RequestHandler } from "express";
import { isLoopbackHost } from "../src-shared/config/host-port.js";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { isLocalAppOrigin, originAllowed } from "./allowed-origin.js";

/**
 * The host name of a Host header, lower-case and without brackets or port:
 * `[::1]:8080` → `::1`, `localhost:8080` → `localhost`, `127.0.0.1` → `127.0.0.1`.
 * Undefined when the header is not a valid host[:port] (e.g. an unclosed bracket).
 */
export function hostOfHeader(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    if (close < 0) return undefined;
    const rest = value.slice(close + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined;
    return value.slice(1, close);
  }
  const colon = value.indexOf(":");
  if (colon < 0) return value;
  // A second colon means an unbracketed IPv6 address, which a Host header may not carry.
  if (value.indexOf(":", colon + 1) >= 0 || !/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined;
  return value.slice(0, colon);
}

/** Strips IPv6 brackets and case, so `[::1]` from a URL and `::1` from a header compare equal. */
function normaliseHostName(name: string): string {
  return name.toLowerCase().replace(/^\[|\]$/g, "");
}

export interface HostOriginGuardOptions {
  /** On a loopback bind only loopback names (and `extraHosts`) are accepted in Host (DNS rebinding). */
  loopbackBind: boolean;
  /** Further host names served on a loopback bind (e.g. the worker's advertised host). */
  extraHosts?: readonly string[];
  /** Browser origins allowed besides the server's own; undefined skips the Origin check. */
  allowedOrigins?: () => readonly string[];
  /** Also allow local web apps (http://localhost:*, 127.0.0.1:*, [::1]:*; ORCHD_CORS_ALLOW_LOCALHOST). */
  allowLocalhost?: () => boolean;
}

/**
 * DNS-rebinding and cross-origin protection (DESIGN.md §4). On a loopback bind the Host header must
 * name a loopback host; a browser Origin must be the server's own or explicitly allowed.
 */
export function hostOriginGuard(opts: HostOriginGuardOptions): RequestHandler {
  const extra = new Set((opts.extraHosts ?? []).map(normaliseHostName));
  return (req, _res, next) => {
    const host = req.headers.host ?? "";
    const name = hostOfHeader(host);
    if (opts.loopbackBind && (name === undefined || !(isLoopbackHost(name) || extra.has(name)))) {
      next(new OrchError("FORBIDDEN_HOST", `Host "${host}" is not a loopback name; this server only answers to localhost`));
      return;
    }
    const origin = req.headers.origin;
    const allowedOrigins = opts.allowedOrigins;
    if (allowedOrigins !== undefined && origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}` && !originAllowed(origin, { allowedOrigins, ...(opts.allowLocalhost !== undefined ? { allowLocalhost: opts.allowLocalhost } : {}) })) {
      const how = isLocalAppOrigin(origin) ? "add it to ORCHD_ALLOWED_ORIGINS, or allow every local web app with ORCHD_CORS_ALLOW_LOCALHOST=1" : "add it to ORCHD_ALLOWED_ORIGINS";
      next(new OrchError("FORBIDDEN_ORIGIN", `Origin "${origin}" may not call this API (${how})`));
      return;
    }
    next();
  };
}
