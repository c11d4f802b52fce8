// `llama-orch join-token create|list|revoke` against a real headless orchestrator process with TLS on:
// create prints the exact worker command (the https URL, the token and the CA fingerprint), list shows
// it by fingerprint without the secret, revoke removes it, and the API then refuses the token.
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterFetch } from "../../src-node/tls/cluster-fetch.js";
import { freePort, startHeadlessOrchestrator, type HeadlessOrchestrator } from "../../test-support/headless-process.js";

const TOKEN = "cli-test-token-0123456789abcdef0123456789abcdef";
let orch: HeadlessOrchestrator;
let dataDir = "";
let port = 0;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/src-main/headless/cli.js", "join-token", ...args, "--data-dir", dataDir, "--bind", `127.0.0.1:${port}`], { env: { PATH: process.env.PATH, HOME: dataDir, LLORCH_API_TOKEN: TOKEN, LLORCH_TLS: "true", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "llorch-cli-join-"));
  port = await freePort();
  orch = await startHeadlessOrchestrator({ port, dataDir, token: TOKEN, env: { LLORCH_TLS: "true" } });
}, 60_000);

afterAll(async () => {
  await orch.kill();
});

describe("llama-orch join-token", () => {
  it("create prints the worker command, list shows the token by fingerprint only, revoke removes it", async () => {
    const created = await cli(["create", "--node-id", "cli-w1", "--ttl", "30"]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const cmd = /--join '(https:\/\/127\.0\.0\.1:\d+)#(llj_[0-9a-f]{64})@(sha256:[0-9a-f]{64})'/.exec(created.stdout);
    expect(cmd?.[1]).toBe(orch.url);
    expect(created.stdout).toContain("llama-orch-worker start --join '");
    expect(created.stdout).toContain("--node-id cli-w1");
    const id = /join token (\S+) \(fp6 ([0-9a-f]{6})\)/.exec(created.stdout);
    const ca = await readFile(join(dataDir, "tls", "ca.pem"), "utf8");
    expect(cmd?.[3]).toBe(`sha256:${new X509Certificate(ca).fingerprint256.replace(/:/g, "").toLowerCase()}`);

    const listed = await cli(["list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${id?.[1]}  fp6 ${id?.[2]}  node cli-w1`);
    expect(listed.stdout).not.toContain(cmd?.[2]);

    const revoked = await cli(["revoke", id?.[1] ?? ""]);
    expect(revoked.code).toBe(0);
    expect((await cli(["list"])).stdout.trim()).toBe("no unspent join tokens");
    const https = clusterFetch(ca, { role: "orchestrator" });
    const res = await https(`${orch.url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${cmd?.[2]}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "cli-w1" }) });
    expect(res.status).toBe(401);
    expect((await cli(["revoke", id?.[1] ?? ""])).code).toBe(1);
  }, 60_000);

  it("refuses a wrong credential and bad usage with clear messages", async () => {
    const bad = await cli(["list"], { LLORCH_API_TOKEN: "not-the-token-0123456789abcdef0123456789" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("HTTP 401");
    expect((await cli(["frobnicate"])).code).toBe(2);
    expect((await cli(["create", "--ttl", "soon"])).stderr).toContain("--ttl takes minutes");
  }, 30_000);
});
