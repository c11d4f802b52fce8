import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import type { Logger } from "pino";
import { buildContentSecurityPolicy } from "../../../src-shared/dashboard/csp.js";
import { DashboardSessions, sessionCookieName } from "../auth/dashboard-sessions.js";

/** What Ollama answers at its root, which its clients check for. */
export const OLLAMA_ROOT_ANSWER = "Ollama is running";

/** The built dashboard beside the compiled code: dist/renderer. */
export function defaultDashboardDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "renderer");
}

/** The dashboard's headers; sent as headers too: Chromium ignores frame-ancestors in a <meta> policy. */
function securityHeaders(res: { setHeader(name: string, value: string): unknown }, csp: string): void {
  res.setHeader("Content-Security-Policy", csp);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Referrer-Policy", "no-referrer");
}

/** Serves the built dashboard at / and the one-time-code login at /login. */
export function mountDashboard(app: express.Express, dir: string, sessions: DashboardSessions, logger: Logger): void {
  app.get("/login", (req, res) => {
    const code = typeof req.query.code === "string" ? req.query.code : "";
    const session = code === "" ? null : sessions.redeem(code);
    if (session === null) {
      res.status(401).type("text/plain").send("This login link is invalid or was already used. Ask the orchestrator for a new one (it prints a fresh link at start).\n");
      return;
    }
    // Secure only over TLS (req.secure); the orchestrator serves plain HTTP until TLS lands (docs/SECURITY.md).
    const secure = req.secure ? "; Secure" : "";
    res.setHeader("Set-Cookie", `${sessionCookieName(req.socket.localPort ?? 0)}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${DashboardSessions.cookieMaxAgeSeconds}${secure}`);
    res.redirect(302, "/");
  });
  const csp = buildContentSecurityPolicy();
  // Ollama clients probe the server root (GET or HEAD /) for Ollama's own answer; browsers ask for HTML
  // (their Accept names text/html) and get the dashboard. What curl and HTTP libraries send (*/* or nothing)
  // gets Ollama's answer.
  app.get("/", (req, res, next) => {
    if ((req.headers.accept ?? "").toLowerCase().includes("text/html")) {
      next();
      return;
    }
    res.setHeader("Vary", "Origin, Accept");
    securityHeaders(res, csp);
    res.type("text/plain").send(OLLAMA_ROOT_ANSWER);
  });
  if (!existsSync(join(dir, "index.html"))) {
    logger.warn({ dir }, "dashboard not built (npm run build); / will say so");
    app.get("/", (_req, res) => {
      res.type("text/plain").send("llama-orch orchestrator is running. The dashboard is not built here: run `npm run build`.\n");
    });
    return;
  }
  app.use(
    express.static(dir, {
      index: "index.html",
      maxAge: "1h",
      setHeaders: (res, path) => {
        securityHeaders(res, csp);
        if (path.endsWith(".html")) res.setHeader("Cache-Control", "no-cache");
      },
    }),
  );
}

