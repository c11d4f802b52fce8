// Integration files share forks (vitest.config.ts); the ones that cannot must be listed in OWN_FORK_TESTS.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OWN_FORK_TESTS } from "./own-fork-tests.js";

// What a shared module graph or process does not undo between files, or what it disturbs (a heap measurement).
const PROCESS_WIDE = [
  /\bvi\.(mock|doMock|stubEnv|stubGlobal|useFakeTimers)\(/,
  /\bprocess\.env(\.[A-Za-z_]\w*|\[[^\]]+\])\s*=(?!=)/,
  /\bdelete process\.env\b/,
  /\bprocess\.(chdir|umask|setUncaughtExceptionCaptureCallback)\(/,
  /\bsetGlobalDispatcher\(/,
  /\bprocess\.memoryUsage\(\)/,
];

/** Whether a test file's source does something that outlives the file in a shared fork. */
function needsOwnFork(source: string): boolean {
  return PROCESS_WIDE.some((pattern) => pattern.test(source));
}

const integrationFiles = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.int.test.ts", "e2e/*.test.ts", "bench/*.test.ts"], { encoding: "utf8" })
  .split("\n")
  .filter((f) => f !== "" && !f.endsWith(".soak.test.ts"));

describe("integration files that need a fork of their own", () => {
  it("are exactly the listed ones", () => {
    expect(integrationFiles.length).toBeGreaterThan(100);
    const found = integrationFiles.filter((f) => needsOwnFork(readFileSync(f, "utf8")));
    expect(found.sort()).toEqual([...OWN_FORK_TESTS].sort());
  });

  it("are recognised by what they do", () => {
    expect(needsOwnFork(`vi.mock("./placement/place-task.js", () => ({}))`)).toBe(true);
    expect(needsOwnFork("process.env.LLAMA_CACHE = dir;")).toBe(true);
    expect(needsOwnFork(`process.env["X"] = "1";`)).toBe(true);
    expect(needsOwnFork("delete process.env.LLAMA_CACHE;")).toBe(true);
    expect(needsOwnFork("const heap = process.memoryUsage().heapUsed;")).toBe(true);
    expect(needsOwnFork("if (process.env.CI === undefined) skip();")).toBe(false);
    expect(needsOwnFork("const env = { ...process.env, HOME: dir };")).toBe(false);
  });
});
