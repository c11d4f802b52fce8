// A closed-loop HTTP load generator for the benchmarks (node:http, keep-alive): `concurrency`
// requests in flight until `count` have completed. Resolves with the rate and latency percentiles.
import { Agent, request } from "node:http";
import { percentiles } from "./bench-processes.mjs";

/** Sends `count` requests made by `make(i)` → { method, path, headers, body } to `baseUrl`. */
export async function loadLoop(baseUrl, { count, concurrency, make, expectStatus }) {
  const target = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let next = 0;
  let wrong = 0;
  const one = (i) =>
    new Promise((resolve) => {
      const { method = "POST", path, headers = {}, body } = make(i);
      const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const t0 = performance.now();
      const req = request({ host: target.hostname, port: target.port, path, method, agent, headers: { "content-type": "application/json", ...(payload ? { "content-length": Buffer.byteLength(payload) } : {}), ...headers } }, (res) => {
        res.resume();
        res.on("end", () => {
          latencies.push(performance.now() - t0);
          if (expectStatus !== undefined && res.statusCode !== expectStatus) wrong++;
          resolve();
        });
      });
      req.on("error", () => {
        wrong++;
        resolve();
      });
      req.end(payload);
    });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await one(next++);
  }));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rate_per_s: Math.round(count / seconds), latency_ms: percentiles(latencies), wrong_status: wrong };
}
