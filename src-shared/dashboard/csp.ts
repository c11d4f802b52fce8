// Content-Security-Policy of the dashboard, one definition for every place that sends it: the
// orchestrator (response header on the dashboard's files), the Electron shell (response header for
// its window) and the index.html meta tag (checked by a test).

/** The policy: everything from the orchestrator's own origin, nothing inline, no plugins, no framing. */
export function buildContentSecurityPolicy(): string {
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'"],
    ["style-src", "'self'"],
    ["img-src", "'self'", "data:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'"],
    ["worker-src", "'self'"],
    ["object-src", "'none'"],
    ["frame-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  return directives.map((d) => d.join(" ")).join("; ");
}
