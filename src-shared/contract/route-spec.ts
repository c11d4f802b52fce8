import type { z } from "zod";
import type { Scope } from "../auth/scopes.js";

export type HttpMethod = "get" | "post" | "put" | "delete";

/** Media type → schema of that representation (null: no schema, e.g. raw bytes). */
export type ContentSpec = Readonly<Record<string, z.ZodType | null>>;

export interface ResponseSpec {
  readonly description: string;
  /** Absent for bodiless responses (204). */
  readonly content?: ContentSpec;
}

/**
 * Which error body a route returns: the ErrorEnvelope (/v2, worker), or the shape of the compatible
 * surface it belongs to (OpenAI under /v1, Anthropic's /v1/messages, Ollama's /api).
 */
export type ErrorStyle = "envelope" | "openai" | "anthropic" | "ollama";

export interface RouteSpec {
  readonly method: HttpMethod;
  /** OpenAPI-style template, e.g. /v2/tasks/{id}. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** Bearer token required (everything but /health). */
  readonly auth: boolean;
  /**
   * Credential scopes any one of which admits the caller (admin always does). Absent: the default
   * for the path prefix (route-scopes.ts); a route neither covers fails at start-up.
   */
  readonly scopes?: readonly Scope[];
  /** One schema per `{param}` in the path. */
  readonly pathParams?: Readonly<Record<string, z.ZodType>>;
  readonly query?: z.ZodObject;
  readonly body?: {
    readonly content: ContentSpec;
    readonly required?: boolean;
    /**
     * A hand check of the JSON body's common well-formed shape, beside its schema (hot routes only):
     * exactly what the schema's parse returns, or undefined when it is not sure, and the schema decides
     * (so bad input gets the same 400). src-shared/nodes/heartbeat-fast-parse.ts is one.
     */
    readonly fastParse?: (value: unknown) => unknown;
  };
  /** Success responses by status. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Error statuses this route can answer with besides 401 (auth routes) and 500 (all). */
  readonly errors?: readonly number[];
  readonly errorStyle?: ErrorStyle;
  /** The success response is (or may be) a text/event-stream. */
  readonly sse?: boolean;
  /**
   * A server span per request when tracing is configured (the task path), honouring an inbound
   * W3C traceparent. Heartbeats, probes and reads are not traced: they would drown the task traces.
   */
  readonly traced?: boolean;
}

export const JSON_MEDIA_TYPE = "application/json";
export const SSE_MEDIA_TYPE = "text/event-stream";
export const PROMETHEUS_MEDIA_TYPE = "text/plain; version=0.0.4";
export const OCTET_STREAM_MEDIA_TYPE = "application/octet-stream";

export function jsonContent(schema: z.ZodType): ContentSpec {
  return { [JSON_MEDIA_TYPE]: schema };
}
