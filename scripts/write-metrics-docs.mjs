#!/usr/bin/env node
// Writes docs/OBSERVABILITY.md from the compiled metric table (run `npm run docs:metrics`).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderObservabilityDoc } from "../dist/src-shared/metrics/observability-doc.js";

const out = fileURLToPath(new URL("../docs/OBSERVABILITY.md", import.meta.url));
writeFileSync(out, renderObservabilityDoc());
console.log(`wrote ${out}`);
