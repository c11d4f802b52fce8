import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isIP } from "node:net";
import { CA_NAME, nodeName, ORCHESTRATOR_NAME } from "../../../src-node/tls/peer-identity.js";
import { certificateFingerprint, issueCertificate } from "../../../src-node/tls/x509.js";

// The cluster's certificate authority (docs/SECURITY.md "TLS between nodes"): generated once into
// <data dir>/tls (or the operator's CA), it signs the orchestrator's server certificate at every start
// and one certificate per joined worker. Agents pin its SHA-256 fingerprint from the join command.

const DAY_MS = 86_400_000;
/** The generated CA lives ten years; leaf certificates one (a worker rejoins, or restarts after a CA rotation). */
const CA_VALIDITY_MS = 3650 * DAY_MS;
export const LEAF_VALIDITY_MS = 365 * DAY_MS;
/** Clocks differ between machines: certificates are valid from an hour ago. */
const BACKDATE_MS = 3_600_000;

export interface ClusterTls {
  caPem: string;
  /** `sha256:<hex>`: what the join command carries. */
  caFingerprint: string;
  /** The orchestrator's key and certificate chain (leaf + CA), for https.createServer. */
  serverKey: string;
  serverCert: string;
  /** A certificate for a joined node's own public key (SPKI PEM); throws on a key that is not EC P-256. */
  issueNodeCertificate(nodeId: string, publicKeyPem: string): string;
}

export interface ClusterTlsOptions {
  dataDir: string;
  caCertFile?: string;
  caKeyFile?: string;
  /** Names and addresses the orchestrator's certificate carries besides localhost and loopback. */
  hostnames: readonly string[];
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function loadOrCreateCa(opts: ClusterTlsOptions): { caPem: string; caKey: KeyObject } {
  if (opts.caCertFile !== undefined && opts.caKeyFile !== undefined) {
    return { caPem: readFileSync(opts.caCertFile, "utf8"), caKey: createPrivateKey(readFileSync(opts.caKeyFile, "utf8")) };
  }
  const dir = join(opts.dataDir, "tls");
  const certPath = join(dir, "ca.pem");
  const keyPath = join(dir, "ca-key.pem");
  if (existsSync(certPath) && existsSync(keyPath)) return { caPem: readFileSync(certPath, "utf8"), caKey: createPrivateKey(readFileSync(keyPath, "utf8")) };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const now = Date.now();
  const caPem = issueCertificate({ subject: CA_NAME, issuer: CA_NAME, publicKey: pair.publicKey, signingKey: pair.privateKey, ca: true, notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + CA_VALIDITY_MS) });
  writePrivate(keyPath, pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
  // Atomically too: a kill mid-write left a truncated ca.pem beside its key, and every later start
  // failed parsing it. Without ca.pem the next start makes a new pair (nothing was issued from this one).
  const tmp = `${certPath}.tmp`;
  writeFileSync(tmp, caPem, { mode: 0o644 });
  renameSync(tmp, certPath);
  return { caPem, caKey: pair.privateKey };
}

export function loadClusterTls(opts: ClusterTlsOptions): ClusterTls {
  const { caPem, caKey } = loadOrCreateCa(opts);
  const caCert = new X509Certificate(caPem);
  if (!caCert.ca) throw new Error("the TLS CA certificate is not a CA (basicConstraints CA:FALSE)");
  if (!caCert.checkPrivateKey(caKey)) throw new Error("the TLS CA key does not match its certificate");
  const issuer = caCert;
  const now = Date.now();
  const leafUntil = (ms: number) => new Date(Math.min(now + ms, new Date(caCert.validTo).getTime()));
  const serverPair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const names = ["localhost", hostname(), ...opts.hostnames];
  const serverLeaf = issueCertificate({
    subject: ORCHESTRATOR_NAME,
    issuer,
    publicKey: serverPair.publicKey,
    signingKey: caKey,
    ca: false,
    dnsNames: [...new Set(names.filter((n) => isIP(n) === 0 && /^[A-Za-z0-9.*-]+$/.test(n)))],
    ips: [...new Set(["127.0.0.1", "::1", ...names.filter((n) => isIP(n) !== 0)])],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: leafUntil(LEAF_VALIDITY_MS),
  });
  return {
    caPem,
    caFingerprint: certificateFingerprint(caCert),
    serverKey: serverPair.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    // The chain includes the CA so an agent can read it during the handshake and compare its pin.
    serverCert: serverLeaf + caPem,
    issueNodeCertificate(nodeId, publicKeyPem) {
      const publicKey = createPublicKey(publicKeyPem);
      if (publicKey.asymmetricKeyType !== "ec" || publicKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new Error("tls_public_key must be an EC P-256 public key (SPKI PEM)");
      const at = Date.now();
      return issueCertificate({ subject: nodeName(nodeId), issuer, publicKey, signingKey: caKey, ca: false, notBefore: new Date(at - BACKDATE_MS), notAfter: leafUntil(LEAF_VALIDITY_MS) });
    },
  };
}
