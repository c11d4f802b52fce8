// What a compatible surface does with each request parameter, as data: the adapters refuse with it
// and docs/API.md's compatibility table is generated from it, so the two cannot disagree.

/** How one request parameter is handled. */
export interface ParamRule {
  /** The parameter as the client names it (`options.mirostat`, `messages[].content`). */
  readonly param: string;
  /** supported: honoured; refused: every value that asks for it is refused; partial: some values are. */
  readonly support: "supported" | "partial" | "refused";
  /** How it is honoured (supported), or which values are refused and why (partial, refused). */
  readonly note: string;
  /** True when a value asks for what cannot be honoured; absent for supported parameters. */
  readonly refuses?: (value: unknown) => boolean;
  /** Where in a refused value the refused part is, for the message (`messages[3].content[1] (image block)`). */
  readonly locate?: (value: unknown) => string | undefined;
}

/** A parameter the request used that the surface cannot honour. */
export interface Refusal {
  readonly param: string;
  readonly message: string;
}

/** The parameters of one request body (top-level keys; nested ones are checked by their parent's rule). */
export interface ParamPolicy {
  readonly rules: readonly ParamRule[];
  /** What to say about a top-level key the policy does not list. */
  readonly unknownNote: string;
}

/** Top-level name of a rule's parameter (`options.mirostat` → `options`, `messages[].content` → `messages`). */
export function topLevelName(param: string): string {
  return param.split(/[.[]/)[0] ?? param;
}

/**
 * The first parameter of `body` that the policy refuses, or null. Unknown top-level keys are refused
 * too: a parameter this server has never heard of is one it cannot honour.
 */
export function findRefusal(policy: ParamPolicy, body: Readonly<Record<string, unknown>>): Refusal | null {
  const known = new Set(policy.rules.map((r) => topLevelName(r.param)));
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (!known.has(key)) return { param: key, message: `${key} is not supported: ${policy.unknownNote}` };
  }
  for (const rule of policy.rules) {
    if (rule.refuses === undefined) continue;
    const value = valueAt(body, rule.param);
    if (value !== undefined && rule.refuses(value)) return { param: rule.param, message: `${rule.locate?.(value) ?? rule.param} is not supported: ${rule.note}` };
  }
  return null;
}

/** The value a rule looks at: a top-level key, or a dotted key of a nested object (options.num_gpu). */
function valueAt(body: Readonly<Record<string, unknown>>, param: string): unknown {
  const top = topLevelName(param);
  const value = body[top];
  const rest = param.slice(top.length);
  if (!rest.startsWith(".")) return value;
  const inner = rest.slice(1);
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>)[inner] : undefined;
}

// Predicates shared by the surfaces' policies: "asks for it" means a value other than the neutral one.
export const present = (value: unknown): boolean => value !== null && value !== undefined;
export const nonEmptyArray = (value: unknown): boolean => Array.isArray(value) && value.length > 0;
export const truthy = (value: unknown): boolean => value !== null && value !== undefined && value !== false && value !== 0 && value !== "";
export const nonZeroNumber = (value: unknown): boolean => typeof value === "number" && value !== 0;
export const isTrue = (value: unknown): boolean => value === true;
export const positive = (value: unknown): boolean => typeof value === "number" && value > 0;
export const nonEmptyObject = (value: unknown): boolean => value !== null && typeof value === "object" && Object.keys(value).length > 0;
