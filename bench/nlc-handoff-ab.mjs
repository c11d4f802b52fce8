#!/usr/bin/env node
// Paired A/B of node-llama-cpp builds in-process: runs bench/nlc-handoff-floor.mjs once per variant per
// round, in fresh processes, the variants' order flipped every round, and prints each case's median
// ms/token (wall, and CPU = wall × cores busy, which a loaded box moves least) per variant and the
// median of the per-round ratios against the first variant. A variant is a native build's folder plus
// extra environment, e.g. a patched build against the CI cache's build (docs/PERFORMANCE.md, "A patched
// addon: sampling on the JS thread"):
//   npx tsc -b && node bench/nlc-handoff-ab.mjs --model <gguf> --addon-dir <patched>,<patched>,<unpatched>
//     [--env ",LLORCH_NLC_SAMPLE_ASYNC=1,"] [--names a,b,c] [--rounds 6] [--tokens 512] [--json]
// Each process gets UV_THREADPOOL_SIZE=1, as the engine child on a machine of ≤ 2 cores (engine-threadpool.ts).
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    "addon-dir": { type: "string" },
    env: { type: "string" },
    names: { type: "string" },
    rounds: { type: "string", default: "6" },
    tokens: { type: "string", default: "512" },
    threadpool: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
  },
});
if (values.model === undefined || values["addon-dir"] === undefined) throw new Error("--model <gguf> and --addon-dir <dir>[,<dir>…] are required");
const dirs = values["addon-dir"].split(",");
const envs = (values.env ?? "").split(",").map((list) => Object.fromEntries(list.split(";").filter((kv) => kv.includes("=")).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])));
const count = Math.max(dirs.length, envs.length);
const variants = Array.from({ length: count }, (_, i) => ({
  name: values.names?.split(",")[i] ?? `v${i}`,
  dir: dirs[Math.min(i, dirs.length - 1)],
  env: envs[i] ?? {},
}));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (line) => process.stderr.write(`${line}\n`);

function runOnce(variant) {
  const args = ["bench/nlc-handoff-floor.mjs", "--model", values.model, "--addon", "native", "--addon-dir", variant.dir, "--rounds", "1", "--tokens", values.tokens, "--json"];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, UV_THREADPOOL_SIZE: values.threadpool, ...variant.env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`nlc-handoff-floor (${variant.name}) exited ${code}`));
      const line = out.trim().split("\n").at(-1) ?? "";
      // CPU ms per token (wall × cores busy): what a loaded box moves least; the wall figure is beside it.
      const result = JSON.parse(line).result;
      resolve({ wall: Object.fromEntries(result.map((r) => [r.case, r.ms_per_token])), cpu: Object.fromEntries(result.map((r) => [r.case, r.ms_per_token * r.cores])) });
    });
  });
}

const results = variants.map(() => []);
const loads = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const order = variants.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  for (const i of order) results[i].push(await runOnce(variants[i]));
  loads.push(loadavg()[0]);
  say(`round ${round + 1}: load ${loadavg()[0].toFixed(1)}; ${variants.map((v, i) => `${v.name} completion ${results[i].at(-1).wall.completion.toFixed(3)} (cpu ${results[i].at(-1).cpu.completion.toFixed(3)}) addon ${results[i].at(-1).wall.addon.toFixed(3)} (cpu ${results[i].at(-1).cpu.addon.toFixed(3)})`).join(", ")}`);
}
const cases = Object.keys(results[0][0].wall);
const rows = (kind) =>
  cases.map((c) => ({
    case: c,
    ms: variants.map((_, i) => median(results[i].map((r) => r[kind][c]))),
    ratio: variants.map((_, i) => median(results[i].map((r, k) => r[kind][c] / results[0][k][kind][c]))),
    better: variants.map((_, i) => results[i].filter((r, k) => r[kind][c] < results[0][k][kind][c]).length),
  }));
const table = { wall: rows("wall"), cpu: rows("cpu") };
if (values.json) {
  console.log(JSON.stringify({ variants, rounds: Number(values.rounds), load: { min: Math.min(...loads), max: Math.max(...loads) }, table }));
} else {
  const rest = variants.slice(1);
  console.log(`nlc-handoff-ab: ${values.rounds} interleaved rounds, ${values.tokens} tokens, UV_THREADPOOL_SIZE=${values.threadpool}, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ms/token medians, ratio = median of per-round ratios against ${variants[0].name} (rounds below it)`);
  for (const [kind, title] of [["wall", "wall ms/token"], ["cpu", "CPU ms/token"]]) {
    console.log("");
    console.log(`| case | ${variants.map((v) => `${v.name} ${title}`).join(" | ")} | ${rest.map((v) => `${v.name} / ${variants[0].name}`).join(" | ")} |`);
    console.log(`|---|${variants.map(() => "---").join("|")}|${rest.map(() => "---").join("|")}|`);
    for (const row of table[kind]) console.log(`| ${row.case} | ${row.ms.map((m) => m.toFixed(3)).join(" | ")} | ${rest.map((_, j) => `${row.ratio[j + 1].toFixed(2)} (${row.better[j + 1]} of ${values.rounds})`).join(" | ")} |`);
  }
}
