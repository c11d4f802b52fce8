import { X509Certificate } from "node:crypto";
import { ORCHESTRATOR_NAME } from "../../src-node/tls/peer-identity.js";
import { certificateFingerprint } from "../../src-node/tls/x509.js";

/** The parts of Electron's `Certificate` this check reads (the leaf and its issuer chain, PEM). */
export interface PresentedCertificate {
  data: string;
  issuerCert?: PresentedCertificate | null;
}

/**
 * Whether the dashboard window may trust a certificate Chromium refused: with TLS on, the embedded
 * orchestrator serves a certificate of its own cluster CA, which no system store holds. It is trusted
 * only for the orchestrator's own origin, only when the chain holds the CA whose fingerprint the
 * orchestrator reports, and only when that CA signed the leaf and the leaf names the orchestrator
 * (a node's certificate of the same CA does not pass). Everything else stays refused.
 */
export function trustsClusterCertificate(url: string, origin: string, presented: PresentedCertificate, caFingerprint: string | null): boolean {
  if (caFingerprint === null) return false;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.origin !== origin || target.protocol !== "https:") return false;
  try {
    const leaf = new X509Certificate(presented.data);
    for (let issuer = presented.issuerCert; issuer; issuer = issuer.issuerCert) {
      const ca = new X509Certificate(issuer.data);
      if (certificateFingerprint(ca) !== caFingerprint) continue;
      const subject = leaf.subject.split("\n");
      return leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && subject.includes(`OU=${ORCHESTRATOR_NAME.ou}`);
    }
  } catch {
    // An unparsable certificate is refused, like any other it cannot vouch for.
  }
  return false;
}
