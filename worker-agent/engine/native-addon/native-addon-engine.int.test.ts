// A node-llama-cpp pool on the native llama.cpp build (`engine build --engine node-llama-cpp`), and the
// choice around it on a real worker agent: the native build is loaded and reported when present
// (skipped, with the reason printed, when it is not built: LLORCH_NLC_ADDON_DIR, or
// ~/.cache/llama-orch-ci/nlc-native-<node-llama-cpp>-<tag> from `engine build --engine node-llama-cpp
// --out <that folder>`); without one, "auto" serves on the prebuilt and says why, "native" fails the pool.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PoolStatusListResponseSchema } from "../../../src-shared/worker-api/pool-status.js";
import { testModelPath } from "../../../test-support/models.js";
import { authHeaders, getJson, killAllWorkers, startWorker, streamInfer, terminalEvent, tokenTexts, type StartedWorker } from "../../../test-support/worker-agent-process.js";
import { waitFor } from "../../../test-support/wait-for.js";
import { chooseAddon } from "./addon-choice.js";
import { NATIVE_ADDON_FILE, NATIVE_ADDON_INFO_FILE, nativeAddonExpectations, readNativeAddon, type NativeAddonInfo } from "./native-addon-info.js";

const expected = nativeAddonExpectations();
const DIR = process.env.LLORCH_NLC_ADDON_DIR ?? join(homedir(), ".cache", "llama-orch-ci", `nlc-native-${expected.nodeLlamaCppVersion}-${expected.llamaCppTag}`);
const usable = chooseAddon({ setting: "auto", device: "cpu", hasGpu: false, dir: DIR, read: readNativeAddon(DIR), expected });
if (usable.binary !== "native") console.warn(`native node-llama-cpp build tests skipped: ${usable.reason} (build it with \`node dist/worker-agent/cli.js engine build --engine node-llama-cpp --out ${DIR}\`)`);

const POOL = "p";
let worker: StartedWorker | undefined;

async function poolStatus(w: StartedWorker) {
  return PoolStatusListResponseSchema.parse((await getJson(`${w.url}/v2/pools`)).body).pools.find((p) => p.pool_id === POOL);
}

function start(addon: "auto" | "native", dir: string, device: "cpu" | "auto" = "cpu"): Promise<StartedWorker> {
  return startWorker({
    // LLORCH_NLC_ADDON_DIR (which points this file at a build) would override node_llama_cpp_addon_dir below.
    env: { LLORCH_NLC_ADDON_DIR: undefined },
    models: { "tiny.gguf": testModelPath("tiny-chatml") },
    config: { node_llama_cpp_addon: addon, node_llama_cpp_addon_dir: dir, supervisor: { initial_backoff_ms: 100, jitter: 0, max_consecutive_failures: 1 }, pools: [{ id: POOL, model: "tiny.gguf", device, slots: 2, context_size: 512 }] },
  });
}

afterEach(async () => {
  await worker?.stop("SIGTERM");
  worker = undefined;
});
afterAll(killAllWorkers);

describe.skipIf(usable.binary !== "native")("node-llama-cpp pool on the native build", () => {
  it("loads it, says so in the log and in engine_version, and serves a completion", async () => {
    // Device "auto": the native build is CPU only, so the pool chooses it only after the host probe found no GPU.
    const w = (worker = await start("native", DIR, "auto"));
    await waitFor("the pool ready", async () => (await poolStatus(w))?.state === "ready", 60_000);
    expect((await poolStatus(w))?.engine_version).toMatch(/\(node-llama-cpp, cpu, native build\)$/);
    // Log lines come over the worker's stdout pipe, which can trail its HTTP answer on a loaded box.
    await waitFor("the engine ready log line", () => w.logs.some((l) => l.msg === "engine ready"), 10_000);
    const probed = w.logs.findIndex((l) => l.msg === "llama.cpp backend");
    expect(probed, "the host probe answered before the pool chose its build").toBeGreaterThanOrEqual(0);
    expect(w.logs.findIndex((l) => l.msg === "engine uses the native llama.cpp build" && l.dir === DIR)).toBeGreaterThan(probed);
    expect(w.logs.some((l) => l.msg === "engine ready" && l.addon === "native")).toBe(true);
    const metrics = await (await fetch(`${w.url}/metrics`, { headers: authHeaders() })).text();
    expect(metrics).toMatch(/^pool_engine_info\{[^}]*engine_version="[^"]*native build\)"[^}]*\} 1$/m);
    const result = await streamInfer(w.url, POOL, { task_id: "native-1", prompt: "Hello world, the cat sat on the mat.", max_tokens: 12, temperature: 0 });
    expect(result.status).toBe(200);
    expect(tokenTexts(result).length).toBeGreaterThan(0);
    expect(terminalEvent(result)?.event).toBe("end");
    // format json: node-llama-cpp's getGrammarFor("json") fails on a local build ("Grammars folder not
    // found", it wants a llama.cpp clone in node_modules); the engine reads the package's json.gbnf itself.
    const json = await streamInfer(w.url, POOL, { task_id: "native-json", prompt: "Answer in JSON:", max_tokens: 16, temperature: 0, format: { type: "json" } });
    expect(json.status).toBe(200);
    expect(terminalEvent(json)?.event, JSON.stringify(terminalEvent(json))).toBe("end");
    expect(tokenTexts(json).join("")).toMatch(/^\s*\{/);
  }, 120_000);
});

describe("node-llama-cpp pool without a usable native build", () => {
  const empty = join(tmpdir(), `llorch-no-native-build-${process.pid}`);

  it("auto: serves on the prebuilt binary and logs why", async () => {
    const w = (worker = await start("auto", empty));
    await waitFor("the pool ready", async () => (await poolStatus(w))?.state === "ready", 60_000);
    expect((await poolStatus(w))?.engine_version).toMatch(/\(node-llama-cpp, cpu, prebuilt\)$/);
    await waitFor("the prebuilt log line", () => w.logs.some((l) => l.msg === "engine uses node-llama-cpp's prebuilt llama.cpp build"), 10_000);
    const line = w.logs.find((l) => l.msg === "engine uses node-llama-cpp's prebuilt llama.cpp build");
    expect(line?.reason).toBe(`no native build in ${empty} (run \`llama-orch-worker engine build --engine node-llama-cpp\`)`);
    const metrics = await (await fetch(`${w.url}/metrics`, { headers: authHeaders() })).text();
    expect(metrics).toMatch(/^pool_engine_info\{[^}]*pool_id="p"[^}]*engine_version="llama\.cpp [^"]*\(node-llama-cpp, cpu, prebuilt\)"[^}]*\} 1$/m);
  }, 120_000);

  it("a build that matches but does not load (a broken copy): the engine falls back to the prebuilt and says why", async () => {
    const broken = join(tmpdir(), `llorch-broken-native-build-${process.pid}`);
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, NATIVE_ADDON_FILE), "not an ELF file");
    const info: NativeAddonInfo = { version: `${expected.llamaCppTag}-0000000000`, tag: expected.llamaCppTag, node_llama_cpp: expected.nodeLlamaCppVersion, cpu: expected.cpu, cmake_options: {}, built_at: "2026-11-29T13:00:00.000Z", build_seconds: 1 };
    writeFileSync(join(broken, NATIVE_ADDON_INFO_FILE), JSON.stringify(info));
    try {
      const w = (worker = await start("auto", broken));
      await waitFor("the pool ready", async () => (await poolStatus(w))?.state === "ready", 60_000);
      expect((await poolStatus(w))?.engine_version).toMatch(/\(node-llama-cpp, cpu, prebuilt\)$/);
      // The log line comes over the worker's stdout pipe, which can trail its HTTP answer on a loaded box.
      await waitFor("the engine ready log line", () => w.logs.some((l) => l.msg === "engine ready"), 10_000);
      const ready = w.logs.find((l) => l.msg === "engine ready");
      expect(ready?.addon).toBe("prebuilt");
      expect(String(ready?.addon_fallback)).toContain(`loading the native build in ${broken} failed:`);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  }, 120_000);

  it("native: the pool fails with the reason instead of running the prebuilt", async () => {
    const w = (worker = await start("native", empty));
    await waitFor("the pool failed with the reason", async () => (await poolStatus(w))?.last_error?.includes(`node_llama_cpp_addon is "native" but no native build in ${empty}`) === true, 60_000);
    expect((await poolStatus(w))?.ready).toBe(false);
    expect(w.logs.some((l) => l.msg === "engine ready")).toBe(false);
  }, 120_000);
});
