import type { Request } from "express";
import type { ErrorStyle } from "../src-shared/contract/route-spec.js";

/**
 * The error shape of a path's surface, for answers given before or outside its route (404/405, a body
 * that never arrived): /v1 in OpenAI's, /api in Ollama's, the rest in the native envelope.
 */
export function styleForPath(path: string): ErrorStyle {
  if (path.startsWith("/v1/")) return "openai";
  if (path.startsWith("/api/")) return "ollama";
  return "envelope";
}

/**
 * /v1 is shared by OpenAI's and Anthropic's clients (GET /v1/models serves both): a request carrying
 * anthropic-version, which Anthropic's SDKs always send and OpenAI's never do, gets its errors in
 * Anthropic's shape, so the SDK reads them as it reads Anthropic's.
 */
export function styleForRequest(style: ErrorStyle, req: Request): ErrorStyle {
  return style === "openai" && req.headers["anthropic-version"] !== undefined ? "anthropic" : style;
}
