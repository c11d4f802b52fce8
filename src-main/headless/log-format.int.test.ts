import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// `llama-orch` and `llama-orch-worker` under a pseudo-terminal (util-linux `script`) print readable
// one-line logs; piped they print JSON lines; --log-format json forces JSON on a terminal.
const SCRIPT = "/usr/bin/script";
const hasScript = existsSync(SCRIPT);
if (!hasScript) console.log(`src-main/headless/log-format.int.test.ts: TTY cases skipped: ${SCRIPT} is missing (util-linux)`);
const ORCH = join(process.cwd(), "dist/src-main/headless/cli.js");
const WORKER = join(process.cwd(), "dist/worker-agent/cli.js");
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "llorch-logfmt-"));
  dirs.push(d);
  return d;
};
const TIMESTAMPED = /^(?:\x1b\[\d+m)?\d\d:\d\d:\d\d\.\d{3}(?:\x1b\[0m)? (?:\x1b\[\d+m)?(?:INFO |WARN |DEBUG)/;

/** Runs the command (through `script` for a TTY) until its output contains `until`, then stops it. */
function run(argv: string[], tty: boolean, until: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const child = tty
      ? spawn(SCRIPT, ["-qfec", quoted, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"], detached: true, env: { ...process.env, LLORCH_API_TOKEN: "" } })
      : spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, LLORCH_API_TOKEN: "" } });
    let out = "";
    const stop = () => {
      try {
        process.kill(-(child.pid as number), "SIGTERM");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${until.join(" and ")} within 30 s:\n${out}`));
    }, 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (until.every((u) => out.includes(u))) {
        clearTimeout(timer);
        stop();
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      resolve(out.replace(/\r/g, ""));
    });
  });
}

// Log lines (the banner's lines start with spaces or "llama-orch").
const logLines = (out: string) => out.split("\n").filter((l) => /listening|generated|backend/.test(l) && !/^\s|^llama-orch /.test(l));

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("human logs on a terminal, JSON when piped", () => {
  const orchArgs = () => [process.execPath, ORCH, "--bind", "127.0.0.1:0", "--data-dir", tmp()];
  const workerArgs = () => { const d = tmp(); return [process.execPath, WORKER, "start", "--bind", "127.0.0.1:0", "--models-dir", join(d, "m"), "--data-dir", join(d, "d")]; };

  it.skipIf(!hasScript)("llama-orch on a TTY: readable lines, and the banner", async () => {
    const out = await run(orchArgs(), true, ["Dashboard:", "orchestrator listening"]);
    expect(out).toContain("is running");
    // Without --home nothing serves yet: the banner says so instead of waiting for a worker.
    expect(out).toContain("Note:       not ready yet: no worker node is online yet.");
    expect(out).not.toMatch(/^\{"level"/m);
    const lines = logLines(out);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(TIMESTAMPED);
  });

  it.skipIf(!hasScript)("llama-orch --log-format json on a TTY: JSON lines", async () => {
    const out = await run([...orchArgs(), "--log-format", "json"], true, ["orchestrator listening"]);
    expect(out).toMatch(/^\{"level":30,.*"msg":"orchestrator listening"/m);
  });

  it("llama-orch piped: JSON lines", async () => {
    const out = await run(orchArgs(), false, ["orchestrator listening"]);
    expect(out).toMatch(/^\{"level":30,.*"msg":"orchestrator listening"/m);
  });

  it.skipIf(!hasScript)("llama-orch-worker on a TTY: readable lines", async () => {
    const out = await run(workerArgs(), true, ["listening"]);
    expect(out).not.toMatch(/^\{"level"/m);
    const lines = logLines(out);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(TIMESTAMPED);
  }, 40_000);

  it("llama-orch-worker piped: JSON lines", async () => {
    const out = await run(workerArgs(), false, ["listening"]);
    expect(out).toMatch(/^\{"level":"info",.*"msg":"listening"/m);
  }, 40_000);
});
