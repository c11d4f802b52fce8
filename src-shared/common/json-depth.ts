/**
 * Whether a parsed JSON value nests objects and arrays deeper than `limit` levels (a scalar is depth
 * 0, `{}` and `[]` depth 1). Iterative, so a hostile body nested 100,000 levels deep (JSON.parse
 * accepts it) is measured without the recursion that would overflow the stack.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === "object") stack.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}
