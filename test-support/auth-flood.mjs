// A flood of unauthenticated requests, run as its own process so the client does not share the
// orchestrator's event loop. Usage: node auth-flood.mjs <url> <requests> <concurrency> <source addresses>
// Prints {"statuses":{...},"retryAfterSeen":bool,"ms":n} on stdout.
import { request } from "node:http";

const [url, requests, concurrency, addresses] = [new URL(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];

function hit(path, headers, localAddress) {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers, localAddress, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] }));
    });
    req.on("error", reject);
    req.end();
  });
}

const statuses = {};
let retryAfterSeen = false;
let next = 0;
async function worker() {
  while (next < requests) {
    const i = next++;
    // Long, ever-different paths and tokens from several addresses: what used to be written in full, row by row.
    const path = `/v2/tasks/${"t".repeat(500)}${i}?q=${"p".repeat(400)}`;
    const headers = i % 2 === 0 ? { authorization: `Bearer bad-token-${i}-${"t".repeat(40)}` } : {};
    const reply = await hit(path, headers, `127.0.0.${(i % addresses) + 1}`);
    statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
    if (reply.status === 429 && Number(reply.retryAfter) >= 1) retryAfterSeen = true;
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
process.stdout.write(JSON.stringify({ statuses, retryAfterSeen, ms: Math.round(performance.now() - started) }));
