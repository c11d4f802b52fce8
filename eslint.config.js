// Lint rules, including the import boundaries of DESIGN.md §1 (enforced here, not by hope).
import tseslint from "typescript-eslint";
import { importBoundaries } from "./eslint.boundaries.js";

export default tseslint.config(
  {
    ignores: ["node_modules/**", "dist/**", "worker-agent/dist/**", "out/**", "release/**", "test-support/.models/**", "**/*.d.ts"],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
      eqeqeq: ["error", "smart"],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
  ...importBoundaries,
);
