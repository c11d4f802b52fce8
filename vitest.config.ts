import { defineConfig } from "vitest/config";
import { OWN_FORK_TESTS } from "./test-support/own-fork-tests.js";

const ALWAYS_EXCLUDED = ["node_modules/**", "dist/**", "**/*.soak.test.ts"];
// Tests that start processes, servers or a browser.
const PROCESS_TESTS = ["**/*.int.test.ts", "e2e/**/*.test.ts", "bench/**/*.test.ts"];

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
      // dependencies again each time (~1.6 CPU-s a file; 110 of them: 710 s isolated, 576 s shared, same box).
      // What a file leaves running is killed after it (test-support/leftover-children.ts), as a fork's exit did.
      { extends: true, test: { name: "integration", include: PROCESS_TESTS, exclude: [...ALWAYS_EXCLUDED, ...OWN_FORK_TESTS], isolate: false, setupFiles: ["./test-support/leftover-children.ts"] } },
      { extends: true, test: { name: "integration-isolated", include: [...OWN_FORK_TESTS], exclude: ALWAYS_EXCLUDED } },
    ],
  },
});
