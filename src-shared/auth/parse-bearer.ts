const MAX_HEADER_BYTES = 8192;

/** `Authorization: Bearer <token>` → the token, or undefined when absent or malformed (spec §9.2). */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_HEADER_BYTES) return undefined;
  const trimmed = header.trim();
  if (!trimmed.startsWith("Bearer ")) return undefined;
  const token = trimmed.slice("Bearer ".length).trim();
  if (token === "" || /[\x00-\x1f\x7f]/.test(token)) return undefined;
  return token;
}
