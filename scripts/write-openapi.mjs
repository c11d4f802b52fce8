// Writes docs/openapi.json (orchestrator) and docs/worker-openapi.json from the compiled contract.
// Run through `npm run openapi`, which compiles src-shared first.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildOrchestratorOpenApi, buildWorkerOpenApi, serializeOpenApi } from "../dist/src-shared/contract/documents.js";

const outputs = [
  ["../docs/openapi.json", buildOrchestratorOpenApi()],
  ["../docs/worker-openapi.json", buildWorkerOpenApi()],
];

for (const [relative, doc] of outputs) {
  const path = fileURLToPath(new URL(relative, import.meta.url));
  writeFileSync(path, serializeOpenApi(doc));
  console.log(`wrote ${path} (${Object.keys(doc.paths).length} paths, ${Object.keys(doc.components.schemas).length} schemas)`);
}
