#!/usr/bin/env node
// Writes docs/CONFIGURATION.md from the compiled config schemas (run `npm run docs:config`).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderConfigurationReference } from "../dist/src-shared/config/config-reference.js";

const out = fileURLToPath(new URL("../docs/CONFIGURATION.md", import.meta.url));
writeFileSync(out, renderConfigurationReference());
console.log(`wrote ${out}`);
