import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { WorkerConfig } from "../../src-shared/config/worker-config.js";
import { certificateFingerprint } from "../../src-node/tls/x509.js";
import { pinnedCaFrom } from "./pin-ca.js";

// The worker's side of TLS between nodes (docs/SECURITY.md): the pinned cluster CA, and the node's own
// key and certificate from its join. Kept in <data_dir>/tls: ca.pem, node-key.pem (0600), node.pem.

export interface NodeTls {
  /** The cluster CA this agent trusts (and nothing else) for https:// calls to the orchestrator and peers. */
  caPem: string;
  /** The node's key and certificate once joined over TLS: the agent serves HTTPS with them. */
  server: { key: string; cert: string } | undefined;
}

export const tlsDir = (dataDir: string): string => join(dataDir, "tls");

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * The trust this agent starts with: the stored CA (its fingerprint must equal ca_fingerprint when
 * that is set), else the CA pinned now from the orchestrator's handshake; undefined when neither a
 * pin nor a stored CA exists (plain HTTP, or an https:// orchestrator with a publicly trusted certificate).
 */
export async function loadNodeTls(config: WorkerConfig): Promise<{ ok: true; tls: NodeTls | undefined } | { ok: false; error: string }> {
  const dir = tlsDir(config.data_dir);
  try {
    let caPem = await readOptional(join(dir, "ca.pem"));
    if (caPem !== undefined && config.ca_fingerprint !== undefined && certificateFingerprint(new X509Certificate(caPem)) !== config.ca_fingerprint) {
      return { ok: false, error: `${join(dir, "ca.pem")} is not the CA pinned by ca_fingerprint ${config.ca_fingerprint}; delete ${dir} (and node-key) to join another cluster` };
    }
    if (caPem === undefined && config.ca_fingerprint !== undefined) {
      if (config.orchestrator_url === undefined) return { ok: false, error: "ca_fingerprint needs orchestrator_url (or join)" };
      caPem = await pinWithRetries(config.orchestrator_url, config.ca_fingerprint);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeAtomic(join(dir, "ca.pem"), caPem, 0o644);
    }
    if (caPem === undefined) return { ok: true, tls: undefined };
    const key = await readOptional(join(dir, "node-key.pem"));
    const cert = await readOptional(join(dir, "node.pem"));
    return { ok: true, tls: { caPem, server: key !== undefined && cert !== undefined ? { key, cert } : undefined } };
  } catch (error) {
    return { ok: false, error: `TLS: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** While the orchestrator cannot be reached (it may start after the agent), the pin is tried again; a wrong chain is final. */
async function pinWithRetries(orchestratorUrl: string, fingerprint: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await pinnedCaFrom(orchestratorUrl, fingerprint);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      const unreachable = ["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT"].includes(code) || /timed out/.test(String(error));
      if (!unreachable || attempt >= 7) throw error;
      await sleep(Math.min(500 * 2 ** attempt, 5000));
    }
  }
}

/** A fresh EC P-256 key for the join: the private half is written (0600) now, the public half is sent. */
export async function newNodeKey(dataDir: string): Promise<string> {
  const dir = tlsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  await writeAtomic(join(dir, "node-key.pem"), pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string, 0o600);
  return pair.publicKey.export({ type: "spki", format: "pem" }) as string;
}

/** Stores the certificate the join answered with, after checking that the pinned CA signed it for this key. */
export async function storeNodeCertificate(dataDir: string, certPem: string, caPem: string): Promise<{ key: string; cert: string }> {
  const dir = tlsDir(dataDir);
  const key = await readFile(join(dir, "node-key.pem"), "utf8");
  const cert = new X509Certificate(certPem);
  if (!cert.verify(new X509Certificate(caPem).publicKey)) throw new Error("the join answered with a certificate the pinned CA did not sign");
  if (!cert.checkPrivateKey(createPrivateKey(key))) throw new Error("the join answered with a certificate for another key");
  await writeAtomic(join(dir, "node.pem"), certPem, 0o644);
  return { key, cert: certPem };
}
