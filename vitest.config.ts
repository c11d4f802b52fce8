import { defineConfig } from "vitest/config";
import { OWN_FORK_TESTS } from "./test-support/own-fork-tests.js";

const ALWAYS_EXCLUDED = ["node_modules/**", "dist/**", "**/*.soak.test.ts"];
// Tests that start processes, servers or a browser.
const PROCESS_TESTS = ["**/*.int.test.ts", "e2e/**/*.test.ts", "bench/**/*.test.ts"];
// The integration files in groups of 18–40; a project `other` takes whatever no group names.
const INTEGRATION_GROUPS: ReadonlyArray<readonly [string, string[]]> = [
  ["orchestrator a–k", ["src-main/orchestrator/[a-k]*.int.test.ts"]],
  ["orchestrator l–r", ["src-main/orchestrator/[l-r]*.int.test.ts"]],
  ["orchestrator s–z", ["src-main/orchestrator/[s-z]*.int.test.ts", "src-main/orchestrator/*/**/*.int.test.ts"]],
  ["worker", ["worker-agent/**/*.int.test.ts"]],
  ["browser and bench", ["e2e/**/*.test.ts", "bench/**/*.test.ts"]],
];

/** A project of integration files sharing their forks; `exclude` beside what every project leaves out. */
function sharedForkProject(group: string, include: string[], exclude: string[] = []) {
  return {
    extends: true as const,
    test: { name: `integration ${group}`, include, exclude: [...ALWAYS_EXCLUDED, ...OWN_FORK_TESTS, ...exclude], isolate: false, setupFiles: ["./test-support/leftover-children.ts"] },
  };
}

// One runner for unit, integration and browser e2e tests. Forks, not threads: llama.cpp and libsql are
// native addons and the integration tests spawn real processes. Unit tests share their forks (no
// isolation): a fresh fork per file cost ~1.5 s of start and imports each, 69 s against 22 s for the
// 170 unit files on a quiet box (they pass in any order: checked with --sequence.shuffle.files).
export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["./test-support/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["**/*.test.ts", "**/*.test.tsx"], exclude: [...ALWAYS_EXCLUDED, ...PROCESS_TESTS], isolate: false } },
      // The long fault runs are `npm run soak` (vitest.soak.config.ts).
      // Integration files share their forks too: a fresh fork per file imported the orchestrator and its
      // dependencies again each time (~1.6 CPU-s a file; 110 of them: 710 s isolated, 628 s shared, same box).
      // What a file leaves running is killed after it (test-support/leftover-children.ts), as a fork's exit did.
      // One project per group: a fork serves one project, so the groups bound what a fork's heap gathers from
      // the files before (one shared project for all 180 files ran them 1.13–1.17× slower by the end).
      ...INTEGRATION_GROUPS.map(([group, include]) => sharedForkProject(group, include)),
      sharedForkProject("other", PROCESS_TESTS, INTEGRATION_GROUPS.flatMap(([, include]) => include)),
      { extends: true, test: { name: "integration isolated", include: [...OWN_FORK_TESTS], exclude: ALWAYS_EXCLUDED } },
    ],
  },
});
