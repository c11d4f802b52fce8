import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ORCHESTRATOR_ENV_KEYS, OrchestratorConfigSchema } from "./orchestrator-config.js";
import { renderConfigurationReference } from "./config-reference.js";

describe("configuration reference", () => {
  it("docs/CONFIGURATION.md is what the schemas generate (run `npm run docs:config` after changing them)", () => {
    expect(readFileSync("docs/CONFIGURATION.md", "utf8")).toBe(renderConfigurationReference());
  });

  it("documents every orchestrator key and environment variable", () => {
    const doc = renderConfigurationReference();
    for (const key of Object.keys(OrchestratorConfigSchema.shape)) expect(doc).toContain(`| \`${key}\` |`);
    for (const env of Object.keys(ORCHESTRATOR_ENV_KEYS)) expect(doc).toContain(`\`${env}\``);
  });
});

describe("docs/API.md", () => {
  it("lists every error code with its HTTP status", async () => {
    const { ERROR_CODES } = await import("../errors/error-codes.js");
    const doc = readFileSync("docs/API.md", "utf8");
    for (const [code, info] of Object.entries(ERROR_CODES)) expect(doc).toContain(`| \`${code}\` | ${info.http_status} |`);
  });
});
