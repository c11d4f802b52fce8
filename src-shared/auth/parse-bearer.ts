const MAX_HEADER_BYTES = 8192;

/** The scheme, in any letter case (RFC 9110 §11.1: `bearer` and `BEARER` are `Bearer`), and its space. */
const BEARER_SCHEME = /^bearer[ \t]+/i;

/** `Authorization: Bearer <token>` → the token, or undefined when absent or malformed (spec §9.2). */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_HEADER_BYTES) return undefined;
  const trimmed = header.trim();
  const scheme = BEARER_SCHEME.exec(trimmed);
  if (scheme === null) return undefined;
  const token = trimmed.slice(scheme[0].length).trim();
  if (token === "" || /[\x00-\x1f\x7f]/.test(token)) return undefined;
  return token;
}
