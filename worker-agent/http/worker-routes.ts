// The worker API's routes (used to mount them and, in tests, to prove every one but /health needs
// the token). Paths use express syntax; `example` is a concrete path for probing.
export interface WorkerRoute {
  method: "GET" | "POST" | "PUT";
  path: string;
  example: string;
  auth: boolean;
}

export const WORKER_ROUTES: readonly WorkerRoute[] = [
  { method: "GET", path: "/health", example: "/health", auth: false },
  { method: "GET", path: "/metrics", example: "/metrics", auth: true },
  { method: "GET", path: "/v2/pools", example: "/v2/pools", auth: true },
  { method: "GET", path: "/v2/pools/:id/status", example: "/v2/pools/p/status", auth: true },
  { method: "GET", path: "/v2/pools/:id/diagnostics", example: "/v2/pools/p/diagnostics", auth: true },
  { method: "POST", path: "/v2/pools/:id/infer", example: "/v2/pools/p/infer", auth: true },
  { method: "POST", path: "/v2/pools/:id/drain", example: "/v2/pools/p/drain", auth: true },
  { method: "POST", path: "/v2/pools/:id/reload", example: "/v2/pools/p/reload", auth: true },
  { method: "POST", path: "/v2/tasks/:task_id/cancel", example: "/v2/tasks/t/cancel", auth: true },
  { method: "GET", path: "/v2/models", example: "/v2/models", auth: true },
  { method: "PUT", path: "/v2/models/:sha256", example: `/v2/models/${"0".repeat(64)}`, auth: true },
];
