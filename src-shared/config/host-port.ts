import { z } from "zod";

/** `host:port` as in ORCHESTRATORD_BIND_ADDR; IPv6 hosts in brackets (`[::1]:8080`). Port 0 = any free port. */
export const HostPortSchema = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "must be host:port, e.g. 127.0.0.1:8080")
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port must be 0..65535");

export function splitHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(":");
  const host = value.slice(0, i).replace(/^\[|\]$/g, "");
  return { host, port: Number(value.slice(i + 1)) };
}

/** Loopback as the original auth-min defines it, widened to the whole 127.0.0.0/8 range. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}
