import express, { type RequestHandler } from "express";
import { JSON_MEDIA_TYPE, type RouteSpec } from "../src-shared/contract/route-spec.js";
import { OrchError } from "../src-shared/errors/orch-error.js";
import { dropNullFields } from "../src-shared/ollama/ollama-null-fields.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Body handling for a route that declares one: the Content-Type must be one of the route's media
 * types (415 otherwise); JSON is parsed up to 1 MiB (413, MALFORMED_JSON on a parse error); any
 * other media type (application/octet-stream uploads) is left unread for the handler to stream.
 */
export function requestBody(route: RouteSpec): RequestHandler[] {
  const mediaTypes = Object.keys(route.body?.content ?? {});
  const contentTypeCheck: RequestHandler = (req, _res, next) => {
    const type = req.headers["content-type"];
    // Ollama reads every body as JSON whatever it is labelled (its documented `curl -d` examples send
    // application/x-www-form-urlencoded), so its surface does too.
    const accepted = type === undefined || route.errorStyle === "ollama" || mediaTypes.some((m) => type.toLowerCase().startsWith(m));
    if (req.headers["content-length"] !== "0" && !accepted) {
      next(new OrchError("UNSUPPORTED_MEDIA_TYPE", `${route.path} takes ${mediaTypes.join(" or ")}, not ${type === "" ? "an empty Content-Type" : type}`));
      return;
    }
    next();
  };
  if (!mediaTypes.includes(JSON_MEDIA_TYPE)) return [contentTypeCheck];
  // A missing Content-Type is still parsed as JSON: clients like curl -d omit or mislabel it.
  const json = express.json({ limit: BODY_LIMIT_BYTES, strict: false, type: () => true });
  if (route.errorStyle !== "ollama") return [contentTypeCheck, json];
  // Ollama reads a null field as not set (Go's zero value), so its surface does too.
  const ollamaNulls: RequestHandler = (req, _res, next) => {
    req.body = dropNullFields(req.body);
    next();
  };
  return [contentTypeCheck, json, ollamaNulls];
}
