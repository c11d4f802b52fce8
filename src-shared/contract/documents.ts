import { ORCHESTRATOR_ROUTES } from "./orchestrator-routes.js";
import { ORCHESTRATOR_API_INFO, WORKER_API_INFO, buildOpenApiDocument, type OpenApiDocument } from "./openapi.js";
import { requiredScopes } from "./route-scopes.js";
import { WORKER_ROUTES } from "./worker-routes.js";

/** The document served at /openapi.json and written to docs/openapi.json; each authenticated operation names its scopes (`x-scopes`). */
export function buildOrchestratorOpenApi(): OpenApiDocument {
  const doc = buildOpenApiDocument(ORCHESTRATOR_ROUTES, ORCHESTRATOR_API_INFO);
  for (const route of ORCHESTRATOR_ROUTES) {
    const operation = doc.paths[route.path]?.[route.method];
    if (route.auth && operation !== undefined) operation["x-scopes"] = [...requiredScopes(route)];
  }
  return doc;
}

/** The worker agent's document, written to docs/worker-openapi.json. */
export function buildWorkerOpenApi(): OpenApiDocument {
  return buildOpenApiDocument(WORKER_ROUTES, WORKER_API_INFO);
}

/** Serialised form of a document file: pretty JSON with a trailing newline. */
export function serializeOpenApi(doc: OpenApiDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
