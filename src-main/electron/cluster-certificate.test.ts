import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CA_NAME, nodeName, ORCHESTRATOR_NAME } from "../../src-node/tls/peer-identity.js";
import { certificateFingerprint, issueCertificate, type CertName } from "../../src-node/tls/x509.js";
import { trustsClusterCertificate, type PresentedCertificate } from "./cluster-certificate.js";

const ORIGIN = "https://127.0.0.1:8080";
const day = 86_400_000;

function authority() {
  const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const now = Date.now();
  const pem = issueCertificate({ subject: CA_NAME, issuer: CA_NAME, publicKey: keys.publicKey, signingKey: keys.privateKey, ca: true, notBefore: new Date(now - 60_000), notAfter: new Date(now + day) });
  const leaf = (subject: CertName): string => {
    const own = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    return issueCertificate({ subject, issuer: new X509Certificate(pem), publicKey: own.publicKey, signingKey: keys.privateKey, ca: false, ips: ["127.0.0.1"], notBefore: new Date(now - 60_000), notAfter: new Date(now + day) });
  };
  return { pem, fingerprint: certificateFingerprint(new X509Certificate(pem)), leaf };
}

const chain = (leaf: string, ca: string): PresentedCertificate => ({ data: leaf, issuerCert: { data: ca, issuerCert: null } });

describe("the desktop window's trust in the embedded orchestrator's TLS certificate", () => {
  const cluster = authority();
  const orchestratorLeaf = cluster.leaf(ORCHESTRATOR_NAME);

  it("trusts the orchestrator's own certificate of the cluster CA, on its own origin only", () => {
    expect(trustsClusterCertificate(`${ORIGIN}/login?code=x`, ORIGIN, chain(orchestratorLeaf, cluster.pem), cluster.fingerprint)).toBe(true);
    expect(trustsClusterCertificate("https://example.com/", ORIGIN, chain(orchestratorLeaf, cluster.pem), cluster.fingerprint)).toBe(false);
    expect(trustsClusterCertificate("https://127.0.0.1:9999/", ORIGIN, chain(orchestratorLeaf, cluster.pem), cluster.fingerprint)).toBe(false);
    expect(trustsClusterCertificate("not a url", ORIGIN, chain(orchestratorLeaf, cluster.pem), cluster.fingerprint)).toBe(false);
  });

  it("refuses another CA's certificate with the orchestrator's name, a node's certificate, and everything when TLS is off", () => {
    const foreign = authority();
    expect(trustsClusterCertificate(ORIGIN, ORIGIN, chain(foreign.leaf(ORCHESTRATOR_NAME), foreign.pem), cluster.fingerprint)).toBe(false);
    // A foreign leaf presented with the real CA in its chain: the CA did not sign it.
    expect(trustsClusterCertificate(ORIGIN, ORIGIN, chain(foreign.leaf(ORCHESTRATOR_NAME), cluster.pem), cluster.fingerprint)).toBe(false);
    expect(trustsClusterCertificate(ORIGIN, ORIGIN, chain(cluster.leaf(nodeName("w1")), cluster.pem), cluster.fingerprint)).toBe(false);
    expect(trustsClusterCertificate(ORIGIN, ORIGIN, chain(orchestratorLeaf, cluster.pem), null)).toBe(false);
    expect(trustsClusterCertificate(ORIGIN, ORIGIN, { data: "garbage", issuerCert: { data: cluster.pem } }, cluster.fingerprint)).toBe(false);
  });
});
