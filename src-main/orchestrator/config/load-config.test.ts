import { describe, expect, it } from "vitest";
import { ORCHESTRATOR_ENV_KEYS, OrchestratorConfigSchema } from "../../../src-shared/config/orchestrator-config.js";
import { loadOrchestratorConfig } from "./load-config.js";

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
