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

/**
 * What is wrong with a parsed request body's shape before any schema sees it, or null: nesting
 * deeper than `maxDepth`, or an own `__proto__` key (JSON.parse creates one; copying the object then
 * sets the copy's prototype instead, so the key vanishes and its fields are read through the
 * prototype, past validation). One iterative walk, so its cost is one visit per object or array.
 */
export function jsonBodyShapeProblem(value: unknown, maxDepth: number): string | null {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== "object") continue;
    if (depth + 1 > maxDepth) return `nested deeper than ${maxDepth} levels of objects and arrays`;
    if (!Array.isArray(node) && Object.hasOwn(node, "__proto__")) return "a __proto__ key is not accepted";
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === "object") stack.push({ node: child, depth: depth + 1 });
    }
  }
  return null;
}
