import type { PeerCertificate } from "node:tls";
import { CLUSTER_ORG, type CertName } from "./x509.js";

// Who is at the other end of a cluster TLS connection. Certificates of the cluster CA name their
// role in OU and their name in CN; the CA signs only the orchestrator's own certificate and one per
// joined node, so a peer proves "I am the orchestrator" or "I am node w-1" by the chain alone, whatever
// address it was reached at (nodes advertise addresses the orchestrator cannot vouch for).

export const CA_NAME: CertName = { ou: "cluster-ca", cn: "llama-orch cluster CA" };
export const ORCHESTRATOR_NAME: CertName = { ou: "orchestrator", cn: "llama-orch orchestrator" };
export const nodeName = (nodeId: string): CertName => ({ ou: "node", cn: nodeId });

/** What the caller expects: the orchestrator, one node, or any certificate of the cluster CA (model copies, verified by sha256 anyway). */
export type PeerExpectation = { role: "orchestrator" } | { role: "node"; nodeId: string } | { role: "any" };

const field = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v);

/** A tls `checkServerIdentity`: the chain is already verified against the cluster CA; this checks the name. */
export function checkPeer(expect: PeerExpectation): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
    const o = field(subject.O);
    const ou = field(subject.OU);
    const cn = field(subject.CN);
    if (o !== CLUSTER_ORG) return new Error(`peer certificate is not a llama-orch cluster certificate (O=${o ?? "none"})`);
    if (expect.role === "any") return ou === ORCHESTRATOR_NAME.ou || ou === "node" ? undefined : new Error(`peer certificate role ${ou ?? "none"} is not a cluster member`);
    const wanted = expect.role === "orchestrator" ? ORCHESTRATOR_NAME : nodeName(expect.nodeId);
    if (ou !== wanted.ou || cn !== wanted.cn) return new Error(`peer certificate names ${ou ?? "?"}/${cn ?? "?"}, expected ${wanted.ou}/${wanted.cn}`);
    return undefined;
  };
}
