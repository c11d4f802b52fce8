import { createHash, createPublicKey, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { bitString, bool, explicit, implicitPrimitive, octetString, oid, sequence, set, smallInteger, subjectOf, time, unsignedInteger, utf8String, type Der } from "./der.js";

// Issues X.509 v3 certificates with node:crypto alone (ECDSA P-256 / SHA-256): the cluster CA, the
// orchestrator's server certificate and each joined worker's certificate. Node can verify
// certificates (X509Certificate) but not build them, and the openssl CLI is not on every machine.

/** A distinguished name as the cluster uses it: O=llama-orch, OU=<role>, CN=<name>. */
export interface CertName {
  ou: string;
  cn: string;
}

export interface IssueRequest {
  subject: CertName;
  /** The subject's public key (EC P-256). */
  publicKey: KeyObject;
  /** Who signs: the CA's name, or its certificate (its subject is copied byte for byte, e.g. an operator's CA). */
  issuer: CertName | X509Certificate;
  signingKey: KeyObject;
  ca: boolean;
  dnsNames?: readonly string[];
  ips?: readonly string[];
  notBefore: Date;
  notAfter: Date;
}

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const OID = { o: "2.5.4.10", ou: "2.5.4.11", cn: "2.5.4.3", basicConstraints: "2.5.29.19", keyUsage: "2.5.29.15", extKeyUsage: "2.5.29.37", subjectAltName: "2.5.29.17", ski: "2.5.29.14", aki: "2.5.29.35", serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" } as const;

export const CLUSTER_ORG = "llama-orch";

function name(n: CertName): Der {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(rdn(OID.o, CLUSTER_ORG), rdn(OID.ou, n.ou), rdn(OID.cn, n.cn));
}

function extension(id: string, critical: boolean, value: Der): Der {
  return sequence(oid(id), ...(critical ? [bool(true)] : []), octetString(value));
}

/** KeyUsage bits (RFC 5280 §4.2.1.3) as a DER BIT STRING: trailing zero bits are declared unused. */
function keyUsage(bits: readonly number[]): Der {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] = (bytes[Math.floor(b / 8)] ?? 0) | (0x80 >> b % 8);
  const unused = 7 - (highest % 8);
  return Buffer.concat([Buffer.from([0x03, bytes.length + 1, unused]), bytes]);
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  // IPv6: expand "::" then write eight 16-bit groups.
  const [head = "", tail = ""] = ip.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = ip.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

const keyId = (publicKey: KeyObject): Buffer => createHash("sha1").update(publicKey.export({ type: "spki", format: "der" })).digest();

/** Signs and returns the certificate in PEM. */
export function issueCertificate(req: IssueRequest): string {
  if (req.signingKey.asymmetricKeyType !== "ec") throw new Error("the signing key must be an EC key (ECDSA with SHA-256)");
  const spki = req.publicKey.export({ type: "spki", format: "der" });
  const issuerPublic = createPublicKey(req.signingKey);
  const sans = [...(req.dnsNames ?? []).map((d) => implicitPrimitive(2, Buffer.from(d, "ascii"))), ...(req.ips ?? []).filter((ip) => isIP(ip) !== 0).map((ip) => implicitPrimitive(7, ipBytes(ip)))];
  const extensions = [
    extension(OID.basicConstraints, true, req.ca ? sequence(bool(true)) : sequence()),
    // CA: keyCertSign + cRLSign; leaf: digitalSignature (ECDHE key exchange signs with it).
    extension(OID.keyUsage, true, req.ca ? keyUsage([0, 5, 6]) : keyUsage([0])),
    ...(req.ca ? [] : [extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth)))]),
    ...(sans.length > 0 ? [extension(OID.subjectAltName, false, sequence(...sans))] : []),
    extension(OID.ski, false, octetString(keyId(req.publicKey))),
    extension(OID.aki, false, sequence(implicitPrimitive(0, keyId(issuerPublic)))),
  ];
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    req.issuer instanceof X509Certificate ? subjectOf(req.issuer.raw) : name(req.issuer),
    sequence(time(req.notBefore), time(req.notAfter)),
    name(req.subject),
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, { key: req.signingKey, dsaEncoding: "der" });
  const der = sequence(tbs, algorithm, bitString(signature));
  const body = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

/** `sha256:<64 hex>` of a certificate's DER: what an agent pins. */
export function certificateFingerprint(cert: X509Certificate | Buffer): string {
  const raw = cert instanceof X509Certificate ? cert.raw : cert;
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}

/** Accepts `sha256:<hex>`, bare hex, or OpenSSL's colon-separated form; undefined when not a SHA-256. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.trim().toLowerCase().replace(/^sha256:/, "").replace(/:/g, "");
  return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : undefined;
}
