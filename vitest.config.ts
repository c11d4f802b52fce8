import { defineConfig } from "vitest/config";

const ALWAYS_EXCLUDED = ["node_modules/**", "dist/**", "**/*.soak.test.ts"];
// Tests that start processes, servers or a browser: each file in a fresh fork.
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
      { extends: true, test: { name: "integration", include: PROCESS_TESTS, exclude: ALWAYS_EXCLUDED } },
    ],
  },
});
