import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, configFromFile, configFromFlags, ignoredWorkerEnv, type ConfigLayer } from "./config-layers.js";
import { parseCommandLine } from "./cli-flags.js";
import { loadWorkerConfig } from "./load-worker-config.js";
import { nodeIdFromHostname, resolveWorkerConfig, type MachineFacts } from "./resolve-worker-config.js";
import { parsePoolSpec } from "./pool-spec.js";
import { defaultThreadCount } from "./default-threads.js";

const machine: MachineFacts = { hostname: "gpu-box", homedir: "/home/op", cpuCores: 2 };
const empty = (): ConfigLayer => ({ values: {}, origins: {}, errors: [] });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "llorch-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("worker configuration", () => {
  it("has the documented defaults", () => {
    const result = resolveWorkerConfig({ flags: empty(), env: empty(), file: empty() }, machine);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      node_id: "gpu-box",
      machine_id: "gpu-box",
      bind_addr: "127.0.0.1:9200",
      heartbeat_interval_secs: 1,
      models_dir: "/home/op/.cache/llama-orch/models",
      data_dir: "/home/op/.local/state/llama-orch-worker",
      runtime_dir: "/home/op/.local/state/llama-orch-worker/engines",
      threads: 1,
      log_level: "info",
    });
    expect(result.config.orchestrator_url).toBeUndefined();
    expect(result.config.pools).toBeUndefined();
    expect(result.config.supervisor.initial_backoff_ms).toBe(1000);
  });

  it("takes flags over env over file over defaults, key by key", async () => {
    const path = join(dir, "precedence.json");
    await writeFile(path, JSON.stringify({ node_id: "from-file", machine_id: "m-file", bind_addr: "127.0.0.1:7000", heartbeat_interval_secs: 5, models_dir: "models" }));
    const { flags } = parseCommandLine(["start", "--config", path, "--node-id", "from-flag"]);
    const result = await loadWorkerConfig(flags, { POOL_MANAGERD_NODE_ID: "from-env", POOL_MANAGERD_BIND_ADDR: "127.0.0.1:8000", POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS: "0.5" }, machine);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.node_id).toBe("from-flag");
    expect(result.config.bind_addr).toBe("127.0.0.1:8000");
    expect(result.config.heartbeat_interval_secs).toBe(0.5);
    expect(result.config.machine_id).toBe("m-file");
    // Relative directories in a config file are relative to the file.
    expect(result.config.models_dir).toBe(join(dir, "models"));
  });

  it("refuses an empty directory in a config file (it became the file's own folder)", async () => {
    const path = join(dir, "empty-dir.json");
    await writeFile(path, JSON.stringify({ models_dir: "" }));
    const result = await loadWorkerConfig(parseCommandLine(["start", "--config", path]).flags, {}, machine);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join("\n")).toMatch(/models_dir.*(too small|>=1)/i);
  });

  // A misspelt POOL_MANAGERD_* variable ran the worker on the default, silently.
  it("refuses an unknown POOL_MANAGERD_* variable, naming the one it most likely meant", async () => {
    const result = await loadWorkerConfig(parseCommandLine(["start"]).flags, { POOL_MANAGERD_MODEL_DIR: "/srv/models", POOL_MANAGERD_POOLS: "" }, machine);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join("\n")).toContain("environment variable POOL_MANAGERD_MODEL_DIR is not a setting (did you mean POOL_MANAGERD_MODELS_DIR?)");
  });

  it("starts with a warning for a POOL_MANAGERD_* variable close to no setting (the original llama-orch's)", async () => {
    const env = { POOL_MANAGERD_CALLBACK_ENABLED: "true", POOL_MANAGERD_GPU_DISCOVERY_INTERVAL_MS: "5000" };
    expect((await loadWorkerConfig(parseCommandLine(["start"]).flags, env, machine)).ok).toBe(true);
    expect(ignoredWorkerEnv(env)).toEqual([
      "environment variable POOL_MANAGERD_CALLBACK_ENABLED is not a setting of this version and has no effect (docs/CONFIGURATION.md lists them)",
      "environment variable POOL_MANAGERD_GPU_DISCOVERY_INTERVAL_MS is not a setting of this version and has no effect (docs/CONFIGURATION.md lists them)",
    ]);
  });

  it("expands --join into orchestrator_url, join_token and ca_fingerprint, and refuses a disagreeing one", async () => {
    const token = `llj_${"a".repeat(64)}`;
    const fp = `sha256:${"b".repeat(64)}`;
    const joined = await loadWorkerConfig(parseCommandLine(["start", "--join", `https://orch:8443#${token}@${fp}`]).flags, {}, machine);
    expect(joined.ok && joined.config).toMatchObject({ orchestrator_url: "https://orch:8443", join_token: token, ca_fingerprint: fp });
    const clash = await loadWorkerConfig(parseCommandLine(["start", "--join", `https://orch:8443#${token}@${fp}`]).flags, { ORCHESTRATORD_URL: "https://elsewhere:8443" }, machine);
    expect(clash.ok).toBe(false);
    if (!clash.ok) expect(clash.errors.join("\n")).toContain("join (from --join) disagrees with orchestrator_url (from env ORCHESTRATORD_URL)");
    const unpinned = await loadWorkerConfig({}, { LLORCH_JOIN: `https://orch:8443#${token}` }, machine);
    expect(unpinned.ok).toBe(false);
    if (!unpinned.ok) expect(unpinned.errors.join("\n")).toContain("needs the CA fingerprint");
  });

  it("names the bad key and where it came from", async () => {
    const env = await configFromEnv({ POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS: "soon", POOL_MANAGERD_BIND_ADDR: "nowhere" });
    const result = resolveWorkerConfig({ flags: empty(), env, file: empty() }, machine);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join("\n")).toMatch(/^heartbeat_interval_secs \(from env POOL_MANAGERD_HEARTBEAT_INTERVAL_SECS\): /m);
    expect(result.errors.join("\n")).toMatch(/^bind_addr \(from env POOL_MANAGERD_BIND_ADDR\): must be host:port/m);
  });

  it("reports nested pool errors and unknown keys from the file with their paths", async () => {
    const path = join(dir, "bad.json");
    await writeFile(path, JSON.stringify({ pools: [{ id: "ok", model: "a.gguf" }, { id: "x", model: "b.gguf", slots: 0 }], heartbeat: 3 }));
    const result = resolveWorkerConfig({ flags: empty(), env: empty(), file: await configFromFile(path) }, machine);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.errors.join("\n");
    expect(text).toContain(`pools.1.slots (from config file ${path})`);
    expect(text).toMatch(/\(config\) \(heartbeat\)/);
  });

  it("reports unreadable and non-JSON config files", async () => {
    const missing = await configFromFile(join(dir, "missing.json"));
    expect(missing.errors[0]).toMatch(/cannot read/);
    const path = join(dir, "garbage.json");
    await writeFile(path, "{ nope");
    expect((await configFromFile(path)).errors[0]).toMatch(/not valid JSON/);
  });

  it("parses --pool and POOL_MANAGERD_POOLS specs", async () => {
    expect(parsePoolSpec("id=a,model=tiny.gguf,slots=4,device=1,context_size=512")).toEqual({
      ok: true,
      pool: { id: "a", model: "tiny.gguf", slots: 4, device: 1, context_size: 512 },
    });
    expect(parsePoolSpec("id=a,broken").ok).toBe(false);
    const flags = await configFromFlags(parseCommandLine(["--pool", "id=a,model=x.gguf", "--pool", "id=b,model=y.gguf,device=cpu"]).flags);
    expect(flags.values.pools).toEqual([{ id: "a", model: "x.gguf" }, { id: "b", model: "y.gguf", device: "cpu" }]);
    const env = await configFromEnv({ POOL_MANAGERD_POOLS: "id=a,model=x.gguf;id=b,model=y.gguf,slots=2" });
    const result = resolveWorkerConfig({ flags: empty(), env, file: empty() }, machine);
    expect(result.ok && result.config.pools?.map((p) => [p.id, p.slots, p.device])).toEqual([["a", 2, "auto"], ["b", 2, "auto"]]);
  });

  it("reads the token from a file and rejects tokens shorter than 16 characters", async () => {
    const path = join(dir, "token");
    await writeFile(path, "short\n");
    const flags = await configFromFlags({ "api-token-file": path });
    expect(flags.values.api_token).toBe("short");
    const result = resolveWorkerConfig({ flags, env: empty(), file: empty() }, machine);
    expect(!result.ok && result.errors[0]).toMatch(/^api_token \(from --api-token-file\): must be at least 16 characters/);
  });

  it("rejects unknown flags and derives safe defaults from the machine", () => {
    expect(() => parseCommandLine(["--no-such-flag"])).toThrow(/Unknown option/);
    expect(parseCommandLine([]).command).toBe("start");
    expect(nodeIdFromHostname("_weird host!")).toBe("weird-host-");
    expect(nodeIdFromHostname("ünï")).toBe("n-");
    expect(nodeIdFromHostname("!!!")).toBe("unknown-node");
    expect([1, 2, 4, 8, 64].map(defaultThreadCount)).toEqual([1, 1, 3, 7, 16]);
  });
});
