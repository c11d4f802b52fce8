#!/usr/bin/env node
// `npm run bench`: runs the fleet-scale scenarios one after another (each measures its own baseline
// in the same run) and writes bench/results/latest.{json,md} plus a dated copy. `--quick` runs every
// scenario in its short mode as a correctness smoke check (no timing targets; `npm test` runs it).
//   npm run build && npm run bench [-- --quick] [-- --out <dir>]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, out: { type: "string", default: "bench/results" } } });
const quick = values.quick;

function run(script, args = []) {
  const child = spawnSync(process.execPath, [script, "--json", ...(quick ? ["--short"] : []), ...args], { encoding: "utf8", timeout: quick ? 120_000 : 600_000 });
  if (child.status !== 0) throw new Error(`${script} exited ${child.status}:\n${child.stderr.slice(-2000)}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}");
}

const r3 = (x) => Math.round(x * 1000) / 1000;
const rows = [];
const checks = [];

const fleet = run("bench/fleet-heartbeats.mjs");
const fo = fleet.orchestrator;
rows.push({ scenario: `${fleet.nodes} agents heartbeating: orchestrator CPU (share of a core)`, measured: fo.cpu_share, baseline: fleet.baseline.cpu_share, baseline_is: "bare node:http, same fleet", ratio: fleet.cpu_ratio, target: "≤ 0.10", pass: fo.cpu_share <= 0.1 });
rows.push({ scenario: "heartbeat answer latency p50 / p99 (ms)", measured: `${fo.latency_ms.p50} / ${fo.latency_ms.p99}`, baseline: `${fleet.baseline.latency_ms.p50} / ${fleet.baseline.latency_ms.p99}`, baseline_is: "bare node:http", ratio: r3(fo.latency_ms.p99 / Math.max(0.01, fleet.baseline.latency_ms.p99)), target: "answered within the interval", pass: fo.latency_ms.p99 < 1000 });
rows.push({ scenario: "false Suspect / Offline transitions", measured: `${fleet.false_transitions.Suspect} / ${fleet.false_transitions.Offline}`, baseline: "0 / 0", baseline_is: "—", ratio: null, target: "0", pass: fleet.false_transitions.Offline === 0 && fleet.false_transitions.Suspect === 0 });
rows.push({ scenario: "/health p99 under the fleet (ms); dashboard snapshot size (KiB) / time p50 (ms)", measured: `${fo.health_ms.p99}; ${Math.round(fo.snapshot.bytes / 1024)} / ${fo.snapshot.ms.p50}`, baseline: "—", baseline_is: "—", ratio: null, target: "responsive (< 1 s)", pass: fo.health_ms.p99 < 1000 && fo.snapshot.ms.p99 < 1000 });
checks.push({ name: "fleet: every agent Online, no failed heartbeat, no false transition", ok: fleet.not_online_at_end === 0 && fo.failures === 0 && fleet.false_transitions.Offline === 0 && fo.latency_ms.n > 0 });

const admission = run("bench/admission-rate.mjs");
rows.push({ scenario: "POST /v2/tasks → 202 sustained (journaled, queued) per s", measured: admission.orchestrator_per_s, baseline: admission.bare_per_s, baseline_is: "bare node:http POST", ratio: admission.ratio, target: "≥ 5,000/s", pass: admission.orchestrator_per_s >= 5000 });
checks.push({ name: "admission: every request answered 202", ok: admission.orchestrator_per_s > 0 });

// Tracing off must cost the task path nothing measurable: its no-op calls per task against the time one admission takes.
const noop = run("bench/tracing-noop.mjs");
const admissionNs = 1e9 / Math.max(1, admission.orchestrator_per_s);
rows.push({ scenario: "tracing off: trace calls per task (ns)", measured: noop.traced_ns_per_task, baseline: Math.round(admissionNs), baseline_is: "one admission (ns, this run)", ratio: r3(noop.traced_ns_per_task / admissionNs), target: "≤ 0.001×", pass: noop.traced_ns_per_task / admissionNs <= 0.001 });
checks.push({ name: "tracing no-op: measured", ok: noop.traced_ns_per_task > 0 });

const depth = run("bench/admission-depth.mjs");
rows.push({ scenario: `202 rate at queue depth ${depth.depth} (per s)`, measured: depth.rate_deep_per_s, baseline: depth.rate_shallow_per_s, baseline_is: "same orchestrator near depth 0", ratio: depth.ratio, target: "≥ 0.8×", pass: depth.ratio >= 0.8 });
checks.push({ name: "admission depth: both rates measured", ok: depth.rate_deep_per_s > 0 && depth.rate_shallow_per_s > 0 });

const placement = run("bench/placement-scale.mjs");
const p1000 = placement.results.find((r) => r.strategy === "least-loaded" && r.nodes === 1000);
const p10 = placement.results.find((r) => r.strategy === "least-loaded" && r.nodes === 10);
rows.push({ scenario: "placement decision at 1,000 nodes (µs, least-loaded, mean)", measured: p1000.us_per_decision, baseline: p10.us_per_decision, baseline_is: "10 nodes", ratio: p1000.ratio_to_10_nodes, target: "≤ 50 µs (p99)", pass: p1000.us_per_decision <= 50 });
checks.push({ name: "placement: every strategy and size measured", ok: placement.results.length === 9 });

const report = { at: new Date().toISOString(), quick, node: process.version, rows, checks };
mkdirSync(values.out, { recursive: true });
const cell = (v) => (v === null || v === undefined ? "—" : String(v));
const md = [
  `# Fleet-scale benchmarks (${report.at}${quick ? ", quick smoke run" : ""})`,
  "",
  "| scenario | measured | baseline (same run) | ratio | target | met |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.scenario} | ${cell(r.measured)} | ${cell(r.baseline)} (${r.baseline_is}) | ${cell(r.ratio)} | ${r.target} | ${quick ? "n/a" : r.pass ? "yes" : "no"} |`),
  "",
  ...checks.map((c) => `- ${c.ok ? "✓" : "✗"} ${c.name}`),
  "",
].join("\n");
writeFileSync(join(values.out, "latest.json"), JSON.stringify(report, null, 2));
writeFileSync(join(values.out, "latest.md"), md);
if (!quick) {
  const stamp = report.at.replace(/[:.]/g, "-");
  writeFileSync(join(values.out, `${stamp}.json`), JSON.stringify(report, null, 2));
  writeFileSync(join(values.out, `${stamp}.md`), md);
}
console.log(md);
console.log(JSON.stringify({ ok: checks.every((c) => c.ok), checks }));
process.exit(checks.every((c) => c.ok) ? 0 : 1);
