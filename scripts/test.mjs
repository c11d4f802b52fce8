#!/usr/bin/env node
// `npm test`: lint (beside) typecheck + build → every vitest suite (unit, integration, browser e2e), then one
// plain summary line `N passed, N failed, N skipped` and the skipped tests with their reasons.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";

const started = Date.now();
// `--smoke`: the short run CI does on a second Node LTS — build, unit tests, real inference on that Node
// (concurrent slots on the agent; the prebuilt llama.cpp binary loaded in-process) and the headless HOME
// profile answering a chat completion. (agent-inference.int.test.ts, 40 s of crash and watchdog timings, runs
// in the full suite.)
const smoke = process.argv.includes("--smoke");
const SMOKE_FILES = ["src-shared", "src-node", "src-main/orchestrator/placement", "src-main/orchestrator/scheduling", "src-main/orchestrator/tasks", "worker-agent/agent-slots.int.test.ts", "worker-agent/engine/prebuilt-cpu-llama.int.test.ts", "src-main/headless/headless.int.test.ts"];
const extraArgs = [...process.argv.slice(2).filter((a) => a !== "--smoke"), ...(smoke ? SMOKE_FILES : [])];

function step(title, command, args) {
  console.log(`\n== ${title}: ${command} ${args.join(" ")}`);
  const t0 = Date.now();
  const result = spawnSync(command, args, { stdio: "inherit", env: process.env });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.log(`== ${title} failed after ${seconds}s (exit ${result.status ?? result.signal})`);
    return false;
  }
  console.log(`== ${title} ok in ${seconds}s`);
  return true;
}

const npx = "npx";

/**
 * A step run beside the others (its output kept and printed when it ends): lint only reads the sources,
 * so it runs while the build and the test typecheck do (two cores: ~15 s less than one after the other).
 */
function stepBeside(title, command, args) {
  const t0 = Date.now();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => {
    child.once("close", (code, signal) => {
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      console.log(`\n== ${title}: ${command} ${args.join(" ")}`);
      if (output.length > 0) process.stdout.write(output);
      console.log(code === 0 ? `== ${title} ok in ${seconds}s` : `== ${title} failed after ${seconds}s (exit ${code ?? signal})`);
      resolve(code === 0);
    });
  });
}
// The first line of a failure's message, short enough for a summary line.
const firstLine = (messages) => String(messages?.[0] ?? "").split("\n")[0].slice(0, 300);
console.log(`== Node ${process.version}${smoke ? " (smoke)" : ""}`);
const lint = smoke ? Promise.resolve(true) : stepBeside("lint", npx, ["eslint", "--max-warnings=0", "."]);
let ok =
  step("typecheck + build", "npm", ["run", "--silent", "build"]) &&
  // The test files' typecheck does not depend on the Node version: the full run does it once.
  (smoke || step("typecheck tests", npx, ["tsc", "-p", "tsconfig.tests.json"]));
ok = (await lint) && ok;

let passed = 0;
let failed = ok ? 0 : 1;
let skipped = 0;
if (ok) {
  mkdirSync("test-results", { recursive: true });
  const vitestOk = step("tests", npx, [
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=test-results/vitest${smoke ? "-smoke" : ""}.json`,
    ...extraArgs,
  ]);
  const reportPath = `test-results/vitest${smoke ? "-smoke" : ""}.json`;
  if (existsSync(reportPath)) {
    const report = JSON.parse(readFileSync(reportPath, "utf8"));
    passed = report.numPassedTests;
    // A suite that fails to load has no failed tests of its own; count it then.
    failed = report.numFailedTests || report.numFailedTestSuites || 0;
    skipped = report.numPendingTests + report.numTodoTests;
    const failures = [];
    for (const file of report.testResults) {
      // A file that failed outside its tests (loading, beforeAll) has no failed test: name the file and its error.
      if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed")) failures.push(`failed: ${file.name.replace(`${process.cwd()}/`, "")}: ${firstLine([file.message]) || "outside its tests (a hook or the file's loading); the FAIL block above has the error"}`);
      for (const t of file.assertionResults) {
        if (t.status === "pending" || t.status === "skipped" || t.status === "todo") {
          console.log(`skipped: ${t.fullName}`);
        }
        if (t.status === "failed") failures.push(`failed: ${file.name.replace(`${process.cwd()}/`, "")} > ${t.fullName}: ${firstLine(t.failureMessages)}`);
      }
    }
    // Last, so a log's tail (all CI shows of a run) names what failed.
    for (const line of failures) console.log(line);
  }
  if (!vitestOk && failed === 0) failed = 1;
  ok = vitestOk && failed === 0;
}
console.log(`\nnpm test finished in ${((Date.now() - started) / 1000).toFixed(0)}s`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
