// The worker's systemd unit is validated offline by systemd-analyze (skipped, with the reason, where absent).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const UNIT = fileURLToPath(new URL("./llama-orch-worker.service", import.meta.url));
const ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));
const SKIP_NOTE = ANALYZE === undefined ? " — skipped: systemd-analyze is not installed" : "";

function verify(path: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // --man=no: the Documentation= URL must not be looked up; --recursive-errors=no: the unit alone.
    execFile(ANALYZE ?? "systemd-analyze", ["verify", "--man=no", "--recursive-errors=no", path], { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

describe("deploy/systemd/llama-orch.service (orchestrator)", () => {
  const ORCH_UNIT = fileURLToPath(new URL("./llama-orch.service", import.meta.url));
  it("has the required settings", async () => {
    const lines = (await readFile(ORCH_UNIT, "utf8")).split("\n");
    for (const line of ["User=llama-orch", "EnvironmentFile=-/etc/default/llama-orch", "ExecStart=/usr/bin/node /opt/llama-orch/dist/src-main/headless/cli.js", "Environment=LLORCH_DATA_DIR=/var/lib/llama-orch", "StateDirectory=llama-orch", "Restart=on-failure", "ProtectSystem=strict"]) {
      expect(lines, line).toContain(line);
    }
  });
  it.skipIf(ANALYZE === undefined)(`passes systemd-analyze verify${SKIP_NOTE}`, async () => {
    const { output } = await verify(ORCH_UNIT);
    const problems = output.split("\n").filter((l) => l.trim() !== "").filter((l) => !/Command \/usr\/bin\/node is not executable|\/usr\/bin\/node: No such file|not executable: No such file/.test(l));
    expect(problems, output).toEqual([]);
  });
});

describe("deploy/systemd/llama-orch-worker.service", () => {
  it("has the required settings", async () => {
    const text = await readFile(UNIT, "utf8");
    for (const line of [
      "User=llama-orch",
      "After=network-online.target",
      "Wants=network-online.target",
      "EnvironmentFile=-/etc/default/llama-orch-worker",
      "ExecStart=/usr/local/bin/llama-orch-worker start",
      "Restart=on-failure",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "KillMode=mixed",
    ]) {
      expect(text.split("\n"), line).toContain(line);
    }
  });

  it.skipIf(ANALYZE === undefined)(`passes systemd-analyze verify${SKIP_NOTE}`, async () => {
    const { code, output } = await verify(UNIT);
    // The installed bin (npm install -g) need not exist on the build machine; everything else must be clean.
    const problems = output
      .split("\n")
      .filter((l) => l.trim() !== "")
      .filter((l) => !/Command \/usr\/local\/bin\/llama-orch-worker is not executable|\/usr\/local\/bin\/llama-orch-worker: No such file|not executable: No such file/.test(l));
    expect(problems, output).toEqual([]);
    expect(code === 0 || output.includes("/usr/local/bin/llama-orch-worker")).toBe(true);
  });

  it.skipIf(ANALYZE === undefined)(`would catch a broken unit (the check can fail)${SKIP_NOTE}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "llorch-unit-"));
    try {
      const broken = join(dir, "llama-orch-worker.service");
      await writeFile(broken, (await readFile(UNIT, "utf8")).replace("Restart=on-failure", "Restart=sometimes"));
      const { output } = await verify(broken);
      expect(output).toMatch(/restart specifier/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
