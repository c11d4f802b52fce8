import { defineConfig } from "vitest/config";

// `npm run soak`: the long fault runs only (*.soak.test.ts), one file at a time.
export default defineConfig({
  test: {
    include: ["**/*.soak.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 1_200_000,
    hookTimeout: 60_000,
    globalSetup: ["./test-support/global-setup.ts"],
  },
});
