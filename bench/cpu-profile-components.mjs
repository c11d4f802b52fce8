#!/usr/bin/env node
// The orchestrator's busy time in a V8 .cpuprofile (`node --cpu-prof`) split by component: each sample is
// charged to the first rule below that matches any frame of its stack (leaf to root), so a socket write
// under the heartbeat handler is the heartbeat's and a watch ping's chunk parsing is the watch's. What no
// rule claims is listed by leaf kind (GC, Node's HTTP machinery of the server or the client side, other).
// The profile samples wall time on the main thread (preemption inside a syscall counts, see
// docs/PERFORMANCE.md "Fifth pass"), so shares are of the busy time; /proc CPU with a part off is the
// other half of a breakdown (bench/fleet-side-by-side.mjs --env-b / --fleet-b).
//   node bench/cpu-profile-components.mjs <file.cpuprofile> [--last 15] [--skip-end 3] [--detail <component prefix>]
// --window <file.json>: { from_us, to_us } on CLOCK_MONOTONIC (process.hrtime), as fleet-side-by-side.mjs --cpu-prof-b writes it.
// --detail lists the top self frames of the samples charged to the component whose name starts so.
// --skip-end drops the profile's final seconds (the bench's teardown: 1,000 watches closing, the last scrape).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

/** [component, test on one frame] in priority order. */
const RULES = [
  ["pool probes", (f) => /probes\/pool-prober|src-node\/get-text|worker-client\.js/.test(f.url)],
  ["node watch (/v2/watch pings)", (f) => /registry\/node-watcher|src-node\/get-stream/.test(f.url)],
  ["registry sweep + scheduler tick", (f) => (f.functionName === "sweep" && /node-registry/.test(f.url)) || /scheduling\/scheduler/.test(f.url)],
  ["metrics history", (f) => /metrics\/history-|metrics\/prom-readings/.test(f.url)],
  ["/metrics scrape", (f) => f.functionName === "getMetricsAsString" || /prom-client\/lib\/registry/.test(f.url)],
  ["dashboard feed (frames, deltas, snapshots)", (f) => /dashboard\/|src-shared\/dashboard|dead-peer-watch|tcp-send-queue|sse-writer/.test(f.url)],
  ["heartbeat handler (ours: route, auth, zod, registry)", (f) => /node-handlers|node-service|node-registry|heartbeat-cadence|orchestrator\/auth\/|api-key-store|src-node\/(build-app|route-auth|route-context|request-logging|request-validation|request-body|cors-policy|host-origin-guard|authenticator|body-deadline|deferred-counts|hot-routes|json-body-reader|http-server)|node_modules\/(zod|express|router|pino)\//.test(f.url)],
  ["HTTP server side (Node: parse, respond; the heartbeats' and the bench's requests)", (f) => /node:_http_server|node:_http_incoming|node:_http_outgoing/.test(f.url) || f.functionName === "connectionListenerInternal"],
  ["HTTP client side (Node: the orchestrator's watch + probe connections)", (f) => /node:_http_client|node:_http_agent/.test(f.url)],
  ["SQLite (libsql)", (f) => /libsql/.test(f.url)],
];

export function components(file, lastSeconds = Infinity, skipEndSeconds = 0, detail = undefined, window_ = undefined) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const classify = (id) => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const frames = [];
    for (let at = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at).callFrame);
    let name = null;
    for (const [component, test] of RULES) if (frames.some(test)) { name = component; break; }
    if (name === null) {
      const leaf = frames[0].functionName;
      name = leaf === "(garbage collector)" ? "GC (unattributed)" : leaf === "(program)" ? "(program): V8/native outside JS" : leaf === "(idle)" ? "(idle)" : "other (timers, microtasks, streams, net)";
    }
    memo.set(id, name);
    return name;
  };
  const dt = profile.timeDeltas;
  const ends = [];
  let at = window_ === undefined ? 0 : profile.startTime; // absolute (monotonic µs) when a window is given
  for (const d of dt) ends.push((at += d));
  const to = window_?.to_us ?? at - skipEndSeconds * 1e6;
  const from = window_?.from_us ?? to - lastSeconds * 1e6;
  const sums = new Map();
  const leaves = new Map(); // top self frames of the component named by `detail`
  let window = 0;
  profile.samples.forEach((id, i) => {
    if (ends[i] < from || ends[i] > to) return;
    const t = dt[i] ?? 0;
    window += t;
    const name = classify(id);
    sums.set(name, (sums.get(name) ?? 0) + t);
    if (detail !== undefined && name.startsWith(detail)) {
      const f = byId.get(id).callFrame;
      const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
      leaves.set(key, (leaves.get(key) ?? 0) + t);
    }
  });
  const busy = window - (sums.get("(idle)") ?? 0);
  sums.delete("(idle)");
  const rows = [...sums.entries()].sort((a, b) => b[1] - a[1]).map(([component, us]) => ({ component, ms: Math.round(us / 100) / 10, pct_of_busy: Math.round((us / busy) * 1000) / 10, share_of_core: Number((us / window).toFixed(4)) }));
  const top = [...leaves.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10 }));
  return { window_ms: window / 1000, busy_ms: busy / 1000, rows, ...(detail === undefined ? {} : { detail: top }) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { last: { type: "string" }, "skip-end": { type: "string", default: "0" }, detail: { type: "string" }, window: { type: "string" }, json: { type: "boolean", default: false } } });
  const r = components(positionals[0], values.last === undefined ? Infinity : Number(values.last), Number(values["skip-end"]), values.detail, values.window === undefined ? undefined : JSON.parse(readFileSync(values.window, "utf8")));
  if (values.json) console.log(JSON.stringify(r));
  else {
    console.log(`busy ${r.busy_ms.toFixed(0)} ms of ${r.window_ms.toFixed(0)} ms`);
    for (const row of r.rows) console.log(`${String(row.pct_of_busy).padStart(5)}%  ${String(row.ms).padStart(8)} ms  ${row.share_of_core.toFixed(3)} core  ${row.component}`);
    if (r.detail) for (const d of r.detail) console.log(`    ${String(d.ms).padStart(8)} ms  ${d.fn}`);
  }
}
