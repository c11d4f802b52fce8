import { describe, expect, it } from "vitest";
import { ORCHESTRATOR_ENV_KEYS, OrchestratorConfigSchema } from "../../../src-shared/config/orchestrator-config.js";
import { ignoredOrchestratorEnv, loadOrchestratorConfig } from "./load-config.js";

// Every integer key can be set from its environment variable: the loader converts the text by a list
// of keys, and a key missing from it was refused with "expected number, received string" at startup.
describe("orchestrator config from the environment", () => {
  const integerKeys = Object.entries(OrchestratorConfigSchema.shape).filter(([, schema]) => {
    const parsed = schema.safeParse(undefined);
    return parsed.success && Number.isInteger(parsed.data);
  });

  it("reads each integer key's variable as a number", () => {
    expect(integerKeys.length).toBeGreaterThan(10);
    for (const [key, schema] of integerKeys) {
      const envName = Object.entries(ORCHESTRATOR_ENV_KEYS).find(([, k]) => k === key)?.[0];
      expect(envName, `${key} has an environment variable`).toBeDefined();
      const value = schema.parse(undefined) as number;
      const config = loadOrchestratorConfig({ env: { [envName as string]: String(value) }, overrides: { data_dir: "/nonexistent" } });
      expect(config[key as keyof typeof config], key).toBe(value);
    }
  });

  it("ORCHD_RESCUE_ATTEMPTS sets rescue_attempts, within 0–5", () => {
    expect(loadOrchestratorConfig({ env: { ORCHD_RESCUE_ATTEMPTS: "0" }, overrides: { data_dir: "/nonexistent" } }).rescue_attempts).toBe(0);
    expect(loadOrchestratorConfig({ overrides: { data_dir: "/nonexistent" }, env: {} }).rescue_attempts).toBe(1);
    expect(() => loadOrchestratorConfig({ env: { ORCHD_RESCUE_ATTEMPTS: "9" }, overrides: { data_dir: "/nonexistent" } })).toThrow(/rescue_attempts|ORCHD_RESCUE_ATTEMPTS/);
  });
});

// The careless operator's typo: a misspelt variable ran the orchestrator on the default, silently.
describe("unknown variables under the orchestrator's prefixes", () => {
  it("refuse the start naming the variable and the one it most likely meant; ORCHESTRATORD_URL (the worker's) is let through", () => {
    expect(() => loadOrchestratorConfig({ env: { ORCHD_ADMISION_CAPACITY: "5" }, overrides: { data_dir: "/nonexistent" } })).toThrow(
      "environment variable ORCHD_ADMISION_CAPACITY is not a setting (did you mean ORCHD_ADMISSION_CAPACITY?)",
    );
    // A unit mix-up is close enough to be a typo too.
    expect(() => loadOrchestratorConfig({ env: { ORCHESTRATORD_NODE_TIMEOUT_SECS: "30" }, overrides: { data_dir: "/nonexistent" } })).toThrow(/ORCHESTRATORD_NODE_TIMEOUT_SECS is not a setting \(did you mean ORCHESTRATORD_NODE_TIMEOUT_MS\?\)/);
    expect(loadOrchestratorConfig({ env: { ORCHESTRATORD_URL: "http://orch:8080", LLORCH_SOMETHING_ELSE: "x" }, overrides: { data_dir: "/nonexistent" } }).admission_capacity).toBe(100);
  });

  it("a variable close to no setting (the original llama-orch's, in an old env file) starts with a warning naming it", () => {
    const env = { ORCHD_SSE_MICROBATCH: "1", ORCHESTRATORD_REQUIRE_AUTH: "true", ORCHESTRATORD_BIND: "0.0.0.0:80" };
    expect(loadOrchestratorConfig({ env, overrides: { data_dir: "/nonexistent" } }).admission_capacity).toBe(100);
    expect(ignoredOrchestratorEnv(env)).toEqual([
      "environment variable ORCHD_SSE_MICROBATCH is not a setting of this version and has no effect (docs/CONFIGURATION.md lists them)",
      "environment variable ORCHESTRATORD_BIND is not a setting of this version and has no effect (docs/CONFIGURATION.md lists them)",
      "environment variable ORCHESTRATORD_REQUIRE_AUTH is not a setting of this version and has no effect (docs/CONFIGURATION.md lists them)",
    ]);
    expect(ignoredOrchestratorEnv({ ORCHD_ADMISSION_CAPACITY: "5", LLORCH_X: "1" })).toEqual([]);
  });

  it("a config file key that is not a setting is named with its file and the key it most likely meant", () => {
    expect(() => loadOrchestratorConfig({ env: {}, overrides: { data_dir: "/nonexistent", ...({ admision_capacity: 5 } as object) } })).toThrow(/key "admision_capacity" is not a setting \(did you mean "admission_capacity"\?\)/);
  });
});
