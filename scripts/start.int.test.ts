import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../test-support/wait-for.js";

// `npm start` where Electron cannot run (LLORCH_HEADLESS=1, as on a server): the headless HOME profile
// prints its URL only once GET /ready says ready, with a progress line before. Needs a built tree
// (npm test builds first); start.mjs would otherwise build it, which is not this test's subject.
const built = existsSync("dist/src-main/headless/cli.js") && existsSync("dist/renderer/index.html");
if (!built) console.log("scripts/start.int.test.ts skipped: run `npm run build` first (dist/renderer is missing)");

let child: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), "llorch-start-"));

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

describe.skipIf(!built)("npm start (headless)", () => {
  it("prints a progress line while the local worker loads, then the URL once /ready is 200", async () => {
    let stdout = "";
    let readyWhenPrinted = 0;
    child = spawn(process.execPath, ["scripts/start.mjs", "--bind", "127.0.0.1:0", "--data-dir", dataDir, "--models-dir", join(dataDir, "models")], {
      env: { PATH: process.env.PATH, HOME: dataDir, LLORCH_HEADLESS: "1", LLORCH_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const printed = new Promise<void>((resolve) => {
      child?.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /Dashboard:\s+(http:\/\/\S+)\/login\?code=/.exec(stdout)?.[1];
        if (url !== undefined && readyWhenPrinted === 0) {
          readyWhenPrinted = -1;
          // Probed as soon as the URL line arrives.
          void fetch(`${url}/ready`).then((res) => {
            readyWhenPrinted = res.status;
            resolve();
          });
        }
      });
    });
    child.stderr?.on("data", () => {});
    await waitFor("the URL and its /ready probe", async () => {
      await Promise.race([printed, new Promise((r) => setTimeout(r, 100))]);
      return readyWhenPrinted > 0;
    }, 90_000);
    expect(stdout).toContain("LLORCH_HEADLESS=1); running headless instead.");
    const waiting = stdout.indexOf("llama-orch: waiting for the local worker to be ready (");
    expect(waiting).toBeGreaterThanOrEqual(0);
    expect(waiting).toBeLessThan(stdout.indexOf("Dashboard:"));
    expect(stdout).toContain("is ready with a local worker.");
    expect(readyWhenPrinted).toBe(200);
    console.log(`npm start printed:\n${stdout}`);
  }, 120_000);
});
