/**
 * Whether `a` and `b` serialise to the same JSON text, without serialising them: the node-frame diff
 * compares every field of every node it refreshes (~200 nodes a second at 1,000 nodes), and two
 * `JSON.stringify` calls per field were most of its time. Same verdict as comparing the texts for plain
 * data: key order matters, properties whose value is undefined, a function or a symbol are skipped in
 * objects (null in arrays), non-finite numbers are null. Anything with a `toJSON` (a Date) is compared
 * by its text.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // undefined, functions and symbols have no text at all (JSON.stringify answers undefined).
  if (!serialised(a) || !serialised(b)) return !serialised(a) && !serialised(b);
  const ta = typeof a;
  if (ta !== typeof b) return isNullish(a) && isNullish(b);
  if (ta === "number") return !Number.isFinite(a as number) && !Number.isFinite(b as number); // both serialise as null
  if (ta !== "object" || a === null || b === null) return isNullish(a) && isNullish(b);
  if (hasToJson(a as object) || hasToJson(b as object)) return sameText(a, b);
  const aArray = Array.isArray(a);
  if (aArray !== Array.isArray(b)) return false;
  if (aArray) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameJson(inArray(x[i]), inArray(y[i]))) return false;
    return true;
  }
  // Objects: the serialised keys, in order.
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x).filter((k) => serialised(x[k]));
  const ky = Object.keys(y).filter((k) => serialised(y[k]));
  if (kx.length !== ky.length) return false;
  for (let i = 0; i < kx.length; i++) {
    const k = kx[i] as string;
    if (k !== ky[i] || !sameJson(x[k], y[k])) return false;
  }
  return true;
}

/** What JSON text a value stands for, reduced to null where JSON writes null. */
function isNullish(v: unknown): boolean {
  return v === null || (typeof v === "number" && !Number.isFinite(v));
}

/** An array slot: undefined, functions and symbols are written as null there. */
function inArray(v: unknown): unknown {
  return v === undefined || typeof v === "function" || typeof v === "symbol" ? null : v;
}

/** Whether an object property is written at all. */
function serialised(v: unknown): boolean {
  return v !== undefined && typeof v !== "function" && typeof v !== "symbol";
}

function hasToJson(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === "function";
}

function sameText(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
