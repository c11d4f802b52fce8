import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateFingerprint, issueCertificate, normalizeFingerprint } from "./x509.js";

const day = 86_400_000;

describe("issueCertificate", () => {
  const ca = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const caName = { ou: "cluster-ca", cn: "test CA" };
  const caPem = issueCertificate({ subject: caName, issuer: caName, publicKey: ca.publicKey, signingKey: ca.privateKey, ca: true, notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 365 * day) });
  const caCert = new X509Certificate(caPem);

  it("makes a self-signed CA that Node parses and verifies", () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(ca.publicKey)).toBe(true);
    expect(caCert.subject).toContain("CN=test CA");
    expect(caCert.subject).toContain("OU=cluster-ca");
  });

  it("issues a leaf signed by the CA with its names, which another key does not verify", () => {
    const leaf = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const pem = issueCertificate({ subject: { ou: "node", cn: "w-1" }, issuer: caName, publicKey: leaf.publicKey, signingKey: ca.privateKey, ca: false, dnsNames: ["localhost"], ips: ["127.0.0.1", "::1"], notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 30 * day) });
    const cert = new X509Certificate(pem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.verify(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey)).toBe(false);
    expect(cert.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.publicKey.export({ type: "spki", format: "der" }).equals(leaf.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 29 * day);
  });

  it("fingerprints as sha256:<hex> and normalizes the usual spellings", () => {
    const fp = certificateFingerprint(caCert);
    expect(fp).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fp.slice(7)).toBe(caCert.fingerprint256.replace(/:/g, "").toLowerCase());
    expect(normalizeFingerprint(caCert.fingerprint256)).toBe(fp);
    expect(normalizeFingerprint(fp.slice(7).toUpperCase())).toBe(fp);
    expect(normalizeFingerprint("sha256:abc")).toBeUndefined();
  });
});
