// A minimal ASN.1 DER encoder: just what an X.509 certificate needs (src-node/tls/x509.ts). Node can
// sign and verify but not build certificates, and no dependency is needed for this much.

/** One encoded element (tag, length, value). */
export type Der = Buffer;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, value: Buffer): Der {
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

export const sequence = (...items: Der[]): Der => tlv(0x30, Buffer.concat(items));
export const set = (...items: Der[]): Der => tlv(0x31, Buffer.concat(items));
/** [n] EXPLICIT, constructed context tag. */
export const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner);
/** [n] IMPLICIT primitive context tag (e.g. GeneralName dNSName [2], iPAddress [7]). */
export const implicitPrimitive = (n: number, value: Buffer): Der => tlv(0x80 | n, value);
export const octetString = (value: Buffer): Der => tlv(0x04, value);
export const utf8String = (s: string): Der => tlv(0x0c, Buffer.from(s, "utf8"));
export const bool = (v: boolean): Der => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
export const nullValue = (): Der => Buffer.from([0x05, 0x00]);

/** BIT STRING with no unused bits. */
export const bitString = (value: Buffer): Der => tlv(0x03, Buffer.concat([Buffer.from([0]), value]));

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps it positive). */
export function unsignedInteger(bytes: Buffer): Der {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export const smallInteger = (n: number): Der => unsignedInteger(Buffer.from([n]));

export function oid(dotted: string): Der {
  const parts = dotted.split(".").map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out: number[] = [a * 40 + b];
  for (const part of rest) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
export function time(date: Date): Der {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, "ascii")) : tlv(0x18, Buffer.from(`${iso}Z`, "ascii"));
}

/** Reads one element at `offset`: where its value starts and where the element ends. */
function readElement(der: Buffer, offset: number): { tag: number; valueStart: number; end: number } {
  const tag = der[offset] ?? 0;
  let len = der[offset + 1] ?? 0;
  let valueStart = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[offset + 2 + i] ?? 0);
    valueStart += n;
  }
  return { tag, valueStart, end: valueStart + len };
}

/** The subject Name of a DER certificate, byte for byte (an issued certificate's issuer must equal it). */
export function subjectOf(certificate: Buffer): Der {
  const tbs = readElement(certificate, readElement(certificate, 0).valueStart);
  let at = tbs.valueStart;
  // version [0], serialNumber, signature, issuer, validity, subject
  if (readElement(certificate, at).tag === 0xa0) at = readElement(certificate, at).end;
  for (let i = 0; i < 4; i++) at = readElement(certificate, at).end;
  return certificate.subarray(at, readElement(certificate, at).end);
}
