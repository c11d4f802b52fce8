#!/usr/bin/env node
// Node → node staging throughput on loopback: a generated ~200 MiB GGUF staged from worker a to
// worker b through the orchestrator (grant, Range pulls into the .part, sha256, rename), against `cp`
// of the same file on the same disk in the same run (the baseline). Reports MB/s of both and the
// ratio, end to end (stage request → verified copy) and on the wire (the transferring phase alone).
//   npm run build && node bench/staging-transfer.mjs [--mib 200] [--rounds 3] [--short] [--json]
//   [--cpu-prof]   profile both workers (node --cpu-prof) and print their top functions
//   [--worker-cli <path>]   another build of the worker (an A/B against an older commit)
import { spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { createHash } from "node:crypto";
import { appendFileSync, createReadStream, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchWorkspace, cpuSeconds } from "./bench-processes.mjs";
import { topFunctions } from "./cpu-profile-top.mjs";

const { values } = parseArgs({ options: { mib: { type: "string", default: "200" }, rounds: { type: "string", default: "3" }, short: { type: "boolean", default: false }, json: { type: "boolean", default: false }, "cpu-prof": { type: "boolean", default: false }, "worker-cli": { type: "string", default: "dist/worker-agent/cli.js" } } });
const mib = values.short ? 32 : Number(values.mib);
const rounds = values.short ? 1 : Number(values.rounds);
const token = "bench-token-0123456789abcdef0123456789abcd";
const auth = { authorization: `Bearer ${token}` };
const ws = benchWorkspace("llorch-bench-staging-");
const log = (...a) => values.json || console.error(...a);

// A valid GGUF head (the `big` preset, f32) padded with random bytes to the size asked for: the
// workers only read the header, and random bytes keep the disk and the page cache honest.
const srcDir = join(ws.root, "models-a");
mkdirSync(srcDir, { recursive: true });
const modelPath = join(srcDir, "bench-big.gguf");
const made = spawnSync(process.execPath, ["dist/scripts/make-model.js", modelPath, "--size", "big", "--type", "f32", "--name", "bench-staging-big"], { stdio: "ignore" });
if (made.status !== 0) throw new Error("make-model failed");
const chunk = Buffer.alloc(16 << 20);
while (statSync(modelPath).size < mib << 20) appendFileSync(modelPath, randomFillSync(chunk).subarray(0, Math.min(chunk.length, (mib << 20) - statSync(modelPath).size)));
const size = statSync(modelPath).size;
const sha256 = await new Promise((resolve, reject) => {
  const h = createHash("sha256");
  createReadStream(modelPath).on("data", (c) => h.update(c)).on("end", () => resolve(h.digest("hex"))).on("error", reject);
});

/** `cp` of the model to a fresh name on the same disk (page cache warm from the hash above). */
function cpSeconds() {
  const dest = join(ws.root, "cp-copy.gguf");
  const t0 = performance.now();
  const r = spawnSync("cp", [modelPath, dest]);
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error("cp failed");
  rmSync(dest);
  return s;
}

const profDir = join(ws.root, "prof");
const nodeArgs = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", profDir] : [];
const orchUrl = await ws.orchestrator(token);
async function worker(nodeId, modelsDir) {
  mkdirSync(modelsDir, { recursive: true });
  const config = { node_id: nodeId, orchestrator_url: orchUrl, bind_addr: "127.0.0.1:0", models_dir: modelsDir, runtime_dir: join(ws.root, `rt-${nodeId}`), data_dir: join(ws.root, `data-${nodeId}`), pools: [], heartbeat_interval_secs: 0.5, catalog_poll_ms: 1000 };
  const configPath = join(ws.root, `worker-${nodeId}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  const match = (b) => /"msg":"listening".*?"address":"(http:\/\/[\d.:]+)"/.exec(b)?.[1] ?? /"address":"(http:\/\/[\d.:]+)".*?"msg":"listening"/.exec(b)?.[1];
  return ws.start([...nodeArgs, values["worker-cli"], "start", "--config", configPath], { LLORCH_API_TOKEN: token, LLORCH_LOG_LEVEL: "info" }, match);
}
const a = await worker("a", srcDir);
const bDir = join(ws.root, "models-b");
const b = await worker("b", bDir);
const api = async (path, init = {}) => {
  const res = await fetch(`${orchUrl}${path}`, { ...init, headers: { ...auth, "content-type": "application/json", ...init.headers } });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
};
async function until(what, fn, timeoutMs = 120_000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
const holds = async (node) => (await api(`/v2/nodes/${node}`)).body?.models?.some((m) => m.sha256 === sha256) ?? false;
await until("a to report the model", () => holds("a"));
await until("b to be online", async () => (await api("/v2/nodes/b")).body?.status === "Online");

const runs = [];
for (let round = 0; round < rounds; round++) {
  const cp = cpSeconds();
  const cpu0 = [cpuSeconds(a.child.pid), cpuSeconds(b.child.pid)];
  const t0 = performance.now();
  const staged = await api(`/v2/catalog/models/${sha256}/stage`, { method: "POST", body: JSON.stringify({ nodes: ["b"] }) });
  if (staged.status !== 202) throw new Error(`stage: ${staged.status} ${JSON.stringify(staged.body)}`);
  const jobId = staged.body.jobs[0].job_id;
  const job = await until("the job to end", async () => {
    const j = (await api(`/v2/catalog/jobs/${jobId}`)).body;
    return j.state === "completed" || j.state === "failed" || j.state === "canceled" ? j : null;
  });
  const total = (performance.now() - t0) / 1000;
  // CPU per MB moved (user + system, from /proc): what the path costs, much less sensitive than wall
  // time to other load on a shared machine.
  const cpuMsPerMb = (pid, before) => Math.round(((cpuSeconds(pid) - before) * 1e3 * 1e6 / size) * 100) / 100;
  const cpu = { source_ms_per_mb: cpuMsPerMb(a.child.pid, cpu0[0]), target_ms_per_mb: cpuMsPerMb(b.child.pid, cpu0[1]) };
  if (job.state !== "completed") throw new Error(`job ${job.state}: ${JSON.stringify(job.error)}`);
  const pull = await (await fetch(`${b.value}/v2/models/${sha256}/pull`, { headers: auth })).json();
  const wire = total - (pull.verify_ms ?? 0) / 1000;
  const cp2 = cpSeconds();
  const cpS = (cp + cp2) / 2;
  const mbps = (s) => Math.round(size / s / 1e5) / 10;
  runs.push({ cp_mb_s: mbps(cpS), stage_mb_s: mbps(total), wire_mb_s: mbps(wire), verify_ms: pull.verify_ms, ...cpu, ratio: Math.round((cpS / total) * 1000) / 1000, wire_ratio: Math.round((cpS / wire) * 1000) / 1000 });
  log(`round ${round + 1}: stage ${mbps(total)} MB/s (verify ${pull.verify_ms} ms), cp ${mbps(cpS)} MB/s, ratio ${runs.at(-1).ratio}`);
  const removed = await api(`/v2/catalog/models/${sha256}/nodes/b`, { method: "DELETE" });
  if (removed.status !== 204) throw new Error(`remove: ${removed.status}`);
  await until("b to drop the model", async () => !(await holds("b")));
}

let profiles = null;
if (values["cpu-prof"]) {
  // A graceful stop writes the profile on exit.
  await Promise.all([a, b].map((w) => new Promise((resolve) => {
    w.child.removeAllListeners("exit");
    w.child.once("exit", resolve);
    w.child.kill("SIGTERM");
    setTimeout(resolve, 20_000);
  })));
  profiles = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => ({ file: f, ...topFunctions(join(profDir, f), 12) })).sort((x, y) => y.busy_ms - x.busy_ms).slice(0, 2);
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const result = {
  file_bytes: size,
  rounds: runs,
  median: { stage_mb_s: median(runs.map((r) => r.stage_mb_s)), wire_mb_s: median(runs.map((r) => r.wire_mb_s)), cp_mb_s: median(runs.map((r) => r.cp_mb_s)), ratio: median(runs.map((r) => r.ratio)), wire_ratio: median(runs.map((r) => r.wire_ratio)), source_cpu_ms_per_mb: median(runs.map((r) => r.source_ms_per_mb)), target_cpu_ms_per_mb: median(runs.map((r) => r.target_ms_per_mb)) },
  ...(profiles ? { profiles } : {}),
};
if (values.json) console.log(JSON.stringify(result));
else console.log(JSON.stringify(result, null, 2));
process.exit(0);
