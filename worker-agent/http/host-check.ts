import type { RequestHandler } from "express";
import { sendError } from "./send-error.js";

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith("[")) return hostHeader.slice(0, hostHeader.indexOf("]") + 1).toLowerCase();
  const colon = hostHeader.lastIndexOf(":");
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

/**
 * On a loopback bind, a browser page elsewhere could reach us through DNS rebinding: only
 * loopback names (and the advertised host) are accepted in Host (DESIGN.md §4).
 */
export function loopbackHostCheck(extraAllowedHosts: readonly string[]): RequestHandler {
  const allowed = new Set([...LOOPBACK_NAMES, ...extraAllowedHosts.map((h) => h.toLowerCase())]);
  return (req, res, next) => {
    const host = req.get("host");
    if (host !== undefined && !allowed.has(hostName(host))) {
      sendError(res, "FORBIDDEN_HOST", `Host "${host}" is not served here`);
      return;
    }
    next();
  };
}
