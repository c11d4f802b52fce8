#!/usr/bin/env node
// Rewrites the compatibility table in docs/API.md from the compiled route tables and parameter policies (run `npm run docs:api`).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { withCompatibilityTable } from "../dist/src-shared/compat/compat-table.js";

const out = fileURLToPath(new URL("../docs/API.md", import.meta.url));
writeFileSync(out, withCompatibilityTable(readFileSync(out, "utf8")));
console.log(`wrote ${out}`);
