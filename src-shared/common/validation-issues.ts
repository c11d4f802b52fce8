import type { z } from "zod";

export interface ValidationIssue {
  /** Path of the offending field, e.g. ["placement", "mode"]. */
  path: (string | number)[];
  message: string;
}

/** Flattens a ZodError for the `details.issues` of an INVALID_PARAMS envelope. */
export function validationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
    message: issue.message,
  }));
}

/** The paths a schema rejects `value` at; empty when it is valid. */
export function rejectedPaths(schema: z.ZodType, value: unknown): (string | number)[][] {
  const result = schema.safeParse(value);
  return result.success ? [] : validationIssues(result.error).map((issue) => issue.path);
}
