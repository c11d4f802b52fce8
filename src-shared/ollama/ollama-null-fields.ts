import { jsonDepthExceeds } from "../common/json-depth.js";

/** Bodies nested deeper than this are left as they are (their schema refuses what is too deep). */
const MAX_DEPTH = 256;

/**
 * Ollama's server decodes JSON into Go structs, where `null` leaves a field at its zero value: a
 * null is "not set". The same body here, with every null-valued object key removed at any depth
 * (array elements are kept as they are: a null element stays an error). Returns a copy; the input
 * is not changed. A body nested deeper than 256 levels is returned unchanged, without recursing.
 */
export function dropNullFields(value: unknown): unknown {
  return jsonDepthExceeds(value, MAX_DEPTH) ? value : withoutNulls(value);
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => (item !== null && typeof item === "object" ? withoutNulls(item) : item));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null) continue;
    const kept = typeof field === "object" ? withoutNulls(field) : field;
    // An own __proto__ key stays an own key (an assignment would set the copy's prototype), so the
    // body check still sees and refuses it.
    if (key === "__proto__") Object.defineProperty(out, key, { value: kept, enumerable: true, writable: true, configurable: true });
    else out[key] = kept;
  }
  return out;
}
