import { z } from "zod";

/**
 * A content block (Anthropic) or part (OpenAI) with a `type`: one of a type listed in `shapes` must have
 * that type's shape (a text block whose text is a number is a 400 naming the field, not a block read as
 * empty); one of another type (image, thinking, document, …) passes here, so that the surface's
 * parameter rules refuse it by name and place.
 */
export function blockOf<const Shapes extends Record<string, z.ZodType>>(shapes: Shapes) {
  return z.looseObject({ type: z.string() }).superRefine((block, ctx) => {
    const shape: z.ZodType | undefined = Object.hasOwn(shapes, block.type) ? shapes[block.type] : undefined;
    if (shape === undefined) return;
    const checked = shape.safeParse(block);
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ ...issue, input: undefined } as Parameters<typeof ctx.addIssue>[0]);
  });
}
