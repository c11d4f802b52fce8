// One JSON request over node:http for the load generators (simulated nodes, the chaos bench): resolves
// { status, json } — status 0 when the request failed, json null when the body was not JSON — and never
// rejects, so a fleet of them needs no error handling of its own.
import { request as httpRequest } from "node:http";

/**
 * @param {{ host: string, port: number | string, path: string, method?: string, agent?: import("node:http").Agent, bearer: string, body?: unknown, timeoutMs?: number }} options
 * @returns {Promise<{ status: number, json: any }>}
 */
export function jsonRequest({ host, port, path, method = "POST", agent, bearer, body, timeoutMs }) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: `Bearer ${bearer}`, ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }) };
    const req = httpRequest({ host, port, path, method, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        let json = null;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          // not JSON: left null
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on("error", () => resolve({ status: 0, json: null }));
    });
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy());
    req.on("error", () => resolve({ status: 0, json: null }));
    req.end(payload);
  });
}
