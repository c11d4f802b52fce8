#!/usr/bin/env node
// Top functions by self time in a V8 .cpuprofile (from `node --cpu-prof`), for before/after notes.
//   node bench/cpu-profile-top.mjs <file.cpuprofile> [--top 15] [--last <seconds>] [--without <function>]
// --last keeps only the samples of the profile's final seconds (a steady state after a start-up phase,
// e.g. the fleet's measured window after 1,000 registrations; the profile ends at the process's exit).
// --without drops the samples with that function anywhere on their stack (e.g. `shutdown`: the
// admission bench's exit fails thousands of queued tasks, which is not the admission path).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

export function topFunctions(file, top = 15, lastSeconds = Infinity, without = undefined) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const excluded = (id) => {
    for (let at = id; at !== undefined; at = parent.get(at)) if (byId.get(at).callFrame.functionName === without) return true;
    return false;
  };
  const self = new Map();
  const dt = profile.timeDeltas;
  let total = 0;
  const ends = [];
  let at = 0;
  for (const d of dt) ends.push((at += d));
  const from = at - lastSeconds * 1e6;
  profile.samples.forEach((id, i) => {
    if (ends[i] < from || (without !== undefined && excluded(id))) return;
    const node = byId.get(id);
    const f = node.callFrame;
    const where = f.url ? f.url.replace(/^.*\/(dist|node_modules)\//, "$1/").replace(/^file:\/\//, "") : "";
    const key = `${f.functionName || "(anonymous)"} ${where}${where ? `:${f.lineNumber + 1}` : ""}`;
    const t = dt[i] ?? 0;
    total += t;
    self.set(key, (self.get(key) ?? 0) + t);
  });
  const idle = (self.get("(idle) ") ?? 0) + (self.get("(program) ") ?? 0);
  const busy = total - (self.get("(idle) ") ?? 0);
  const rows = [...self.entries()].filter(([k]) => !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, top);
  return { total_ms: total / 1000, busy_ms: busy / 1000, idle_ms: idle / 1000, top: rows.map(([fn, us]) => ({ fn, self_ms: Math.round(us / 100) / 10, pct_of_busy: Math.round((us / busy) * 1000) / 10 })) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "15" }, last: { type: "string" }, without: { type: "string" } } });
  const r = topFunctions(positionals[0], Number(values.top), values.last === undefined ? Infinity : Number(values.last), values.without);
  console.log(`busy ${r.busy_ms.toFixed(0)} ms of ${r.total_ms.toFixed(0)} ms`);
  for (const row of r.top) console.log(`${String(row.pct_of_busy).padStart(5)}%  ${String(row.self_ms).padStart(8)} ms  ${row.fn}`);
}
