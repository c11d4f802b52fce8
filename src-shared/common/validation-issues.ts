import type { z } from "zod";

export interface ValidationIssue {
  /** Path of the offending field, e.g. ["placement", "mode"]. */
  path: (string | number)[];
  message: string;
}

type Issue = z.core.$ZodIssue;

/**
 * A union's "Invalid input" names no reason. When exactly one branch accepts the value's type (an
 * array of 1,000 stop strings is an array), that branch's own first issue is the reason, at its full path.
 */
function explained(issue: Issue): Issue {
  // A record key its key schema refuses: zod says only "Invalid key in record"; the key schema's own
  // message says what a key must be (logit_bias: token ids as decimal integers).
  if (issue.code === "invalid_key") {
    const inner = issue.issues[0];
    return inner !== undefined ? { ...issue, message: inner.message } : issue;
  }
  // A missing field: zod says "expected number, received undefined", which reads as if the client sent
  // something called undefined. Say the field is required, and what it takes.
  if (issue.code === "invalid_type" && issue.message.endsWith(", received undefined")) {
    return { ...issue, message: `Field required (expected ${issue.expected === "record" ? "object" : issue.expected})` };
  }
  // A JSON object is what a client sends; zod calls a key-value schema a record.
  if (issue.code === "invalid_type" && issue.expected === "record") return { ...issue, message: issue.message.replace("expected record", "expected object") };
  // A query number that is not one (`?limit=abc`, coerced to NaN): zod says "received NaN".
  if (issue.code === "invalid_type" && issue.message.endsWith(", received NaN")) {
    return { ...issue, message: "Invalid input: expected a number" };
  }
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  // A missing field a union takes: a branch saw undefined. Name every branch's expectation, not the one
  // branch whose type "matched" (`nodes` is "all" or a list: zod said only 'expected "all"').
  const sawUndefined = issue.errors.some((b) => b.some((i) => i.code === "invalid_type" && i.path.length === 0 && i.message.endsWith(", received undefined")));
  if (sawUndefined) {
    const wants = issue.errors.flatMap((b) => b.filter((i) => i.path.length === 0).map((i) => (i.code === "invalid_type" ? i.expected : i.code === "invalid_value" ? i.values.map((v) => JSON.stringify(v)).join(" or ") : null)));
    const named = [...new Set(wants.filter((w): w is string => w !== null))];
    return { ...issue, message: named.length > 0 ? `Field required (expected ${named.join(" or ")})` : "Field required" };
  }
  const typeMatched = issue.errors.filter((branch) => branch.length > 0 && !branch.some((i) => i.code === "invalid_type" && i.path.length === 0));
  // Several branches took the value's type and all refuse it for the same reason (`prompt: []` is too short
  // for each of its list forms): that reason, not "Invalid input".
  const firsts = typeMatched.map((b) => b[0]);
  const agreed = firsts.length > 1 && firsts.every((i) => i !== undefined && i.message === firsts[0]?.message && i.path.join(".") === firsts[0].path.join("."));
  const branch = typeMatched.length === 1 || agreed ? typeMatched[0] : undefined;
  const first = branch?.[0];
  if (first !== undefined) return explained({ ...first, path: [...issue.path, ...first.path] } as Issue);
  // No branch takes the value's type: say which types would have been taken.
  const expected = [...new Set(issue.errors.flatMap((b) => b.filter((i) => i.code === "invalid_type" && i.path.length === 0).map((i) => (i as z.core.$ZodIssueInvalidType).expected)))];
  if (typeMatched.length === 0 && expected.length === issue.errors.length) return { ...issue, message: `Invalid input: expected ${expected.join(" or ")}` };
  return issue;
}

/** Flattens a ZodError for the `details.issues` of an INVALID_PARAMS envelope. */
export function validationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((raw) => {
    const issue = explained(raw);
    return {
      path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
      message: issue.message,
    };
  });
}

/** The paths a schema rejects `value` at; empty when it is valid. */
export function rejectedPaths(schema: z.ZodType, value: unknown): (string | number)[][] {
  const result = schema.safeParse(value);
  return result.success ? [] : validationIssues(result.error).map((issue) => issue.path);
}
