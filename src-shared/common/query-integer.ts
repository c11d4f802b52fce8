import { z } from "zod";

const boundsOf = new WeakMap<z.ZodType, { minimum: number; maximum: number }>();

/**
 * A whole number in a query string (`?limit=50`). Decimal digits only: `z.coerce.number()` read `?limit=`
 * as 0 ("expected number to be >=1", about a number the client never sent) and took `1e2`, `0x10` and
 * ` 5` as numbers a client did not mean to send.
 */
export function queryInteger(min: number, max: number) {
  const schema = z
    .string()
    .regex(/^[0-9]{1,10}$/, "expected a whole number in decimal digits")
    .transform(Number)
    .pipe(z.int().min(min).max(max));
  boundsOf.set(schema, { minimum: min, maximum: max });
  return schema;
}

/** OpenAPI documents a query integer as an integer with its bounds (the digits are its wire form), not as a string. */
export function queryIntegerJsonSchema(schema: unknown): { type: "integer"; minimum: number; maximum: number } | undefined {
  const bounds = schema instanceof z.ZodType ? boundsOf.get(schema) : undefined;
  return bounds === undefined ? undefined : { type: "integer", ...bounds };
}
