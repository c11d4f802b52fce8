/** Horizontal padding of a row and the gap between its cells (table.module.css). */
const ROW_PADDING_PX = 32;
const COLUMN_GAP_PX = 12;

/**
 * The narrowest a table gets before it scrolls sideways: the sum of its tracks' minimums ("80px", or the
 * first argument of "minmax(110px, 1fr)"). It was `min-width: max-content`, which sizes the flexible tracks
 * by their content: one 10,000-character GPU name made the Nodes table 74,000 px wide.
 */
export function tableMinWidth(widths: readonly string[]): number {
  let sum = ROW_PADDING_PX + COLUMN_GAP_PX * Math.max(0, widths.length - 1);
  for (const w of widths) sum += Number(/^(?:minmax\()?\s*(\d+(?:\.\d+)?)px/.exec(w)?.[1] ?? 0);
  return sum;
}
