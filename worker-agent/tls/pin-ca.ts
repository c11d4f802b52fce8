import { X509Certificate } from "node:crypto";
import { connect, type DetailedPeerCertificate } from "node:tls";
import { checkPeer } from "../../src-node/tls/peer-identity.js";
import { certificateFingerprint } from "../../src-node/tls/x509.js";

/**
 * Reads the orchestrator's certificate chain during a TLS handshake and returns the CA certificate
 * (PEM) whose SHA-256 fingerprint is `fingerprint`, after checking that it signed the orchestrator's
 * certificate. Trust comes from the pin given out of band (the join command), not from this
 * connection: a server without that CA in its chain, a man in the middle included, is refused.
 */
export async function pinnedCaFrom(orchestratorUrl: string, fingerprint: string, timeoutMs = 10_000): Promise<string> {
  const url = new URL(orchestratorUrl);
  if (url.protocol !== "https:") throw new Error(`cannot pin a CA over ${url.protocol}//: the orchestrator URL must be https://`);
  const chain = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    // Verification is ours: against the pin, below. Nothing but the handshake happens on this socket.
    const socket = connect({ host, port: Number(url.port || 443), rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }) }, () => {
      const peer = socket.getPeerCertificate(true);
      socket.destroy();
      resolve(peer);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`TLS handshake with ${url.host} timed out`)));
    socket.once("error", reject);
  });
  const leaf = new X509Certificate(chain.raw);
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = chain; cert !== undefined && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    const candidate = new X509Certificate(cert.raw);
    if (certificateFingerprint(candidate) !== fingerprint) continue;
    if (!candidate.ca || !leaf.verify(candidate.publicKey)) throw new Error(`the pinned CA ${fingerprint} did not sign ${url.host}'s certificate`);
    const identity = checkPeer({ role: "orchestrator" })(url.hostname, chain);
    if (identity !== undefined) throw identity;
    return candidate.toString();
  }
  throw new Error(`${url.host} presented no certificate chain holding the pinned CA ${fingerprint} (a different cluster, or a man in the middle)`);
}
