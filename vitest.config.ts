import { defineConfig } from "vitest/config";

// One runner for unit, integration and browser e2e tests. Forks, not threads: llama.cpp and libsql are
// native addons and the integration tests spawn real processes.
export default defineConfig({
  test: {
    include: ["**/*.test.ts", "**/*.test.tsx"],
    // The long fault runs are `npm run soak` (vitest.soak.config.ts).
    exclude: ["node_modules/**", "dist/**", "**/*.soak.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["./test-support/global-setup.ts"],
  },
});
