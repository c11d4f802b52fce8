const MAX_COOKIE_HEADER_BYTES = 8192;

/** Percent-decoding that answers null instead of throwing (`%E0%A4%A` is a URIError). */
function decodeOrNull(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/**
 * One cookie's value from a Cookie header, or null when absent, malformed or over-long. Never
 * throws: the header is the client's, and a bad one is only a missing credential.
 */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined || header.length > MAX_COOKIE_HEADER_BYTES) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeOrNull(part.slice(eq + 1).trim());
  }
  return null;
}
