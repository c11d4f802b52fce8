import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { JoinNodeResponseSchema } from "../../src-shared/auth/join-tokens.js";
import { clusterFetch } from "../../src-node/tls/cluster-fetch.js";
import { newNodeKey, storeNodeCertificate, type NodeTls } from "../tls/node-tls.js";

/** Where the key from a join is kept (mode 0600): used on every later start instead of the spent join token. */
export const NODE_KEY_FILE = "node-key";

export type NodeKeyRead = { ok: true; key: string | undefined; path: string } | { ok: false; error: string };

export async function readNodeKey(dataDir: string): Promise<NodeKeyRead> {
  const path = join(dataDir, NODE_KEY_FILE);
  try {
    const key = (await readFile(path, "utf8")).trim();
    return { ok: true, key: key.length >= 32 ? key : undefined, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, key: undefined, path };
    return { ok: false, error: `cannot read ${path}: ${(error as Error).message}` };
  }
}

const ATTEMPTS = 8;

/**
 * Spends a join token at POST /v2/nodes/join for this node's own `worker` key and stores it in
 * <data_dir>/node-key (mode 0600, written atomically). Retries only while the orchestrator cannot be
 * reached or answers 5xx; a refusal (401 used/expired/unknown, 409 wrong or bound node id) is final.
 */
export async function joinedNodeKey(orchestratorUrl: string, joinToken: string, nodeId: string, dataDir: string, tls?: NodeTls): Promise<{ ok: true; key: string; path: string; server: NodeTls["server"] } | { ok: false; error: string }> {
  // Over TLS: only the pinned CA's orchestrator is spoken to, and it signs a certificate for a key made here.
  const send = tls !== undefined ? clusterFetch(tls.caPem, { role: "orchestrator" }) : globalThis.fetch;
  const publicKey = tls !== undefined ? await newNodeKey(dataDir) : undefined;
  let last = "";
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(Math.min(500 * 2 ** (attempt - 1), 5000));
    let res: Response;
    try {
      res = await send(new URL("/v2/nodes/join", orchestratorUrl), {
        method: "POST",
        headers: { authorization: `Bearer ${joinToken}`, "content-type": "application/json" },
        body: JSON.stringify({ node_id: nodeId, ...(publicKey !== undefined ? { tls_public_key: publicKey } : {}) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      continue;
    }
    const text = await res.text().catch(() => "");
    if (res.status >= 500) {
      last = `HTTP ${res.status}: ${text.slice(0, 300)}`;
      continue;
    }
    if (res.status !== 201) return { ok: false, error: `joining ${orchestratorUrl} as node ${nodeId} was refused: HTTP ${res.status}: ${text.slice(0, 300)}` };
    const parsed = JoinNodeResponseSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return { ok: false, error: `joining ${orchestratorUrl}: unexpected answer` };
    let server: NodeTls["server"];
    if (tls !== undefined && parsed.data.tls !== null) {
      try {
        server = await storeNodeCertificate(dataDir, parsed.data.tls.certificate, tls.caPem);
      } catch (error) {
        return { ok: false, error: `joining ${orchestratorUrl}: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    const path = join(dataDir, NODE_KEY_FILE);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp`;
    await writeFile(tmp, `${parsed.data.key}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
    return { ok: true, key: parsed.data.key, path, server };
  }
  return { ok: false, error: `joining ${orchestratorUrl}: orchestrator not reachable (${last})` };
}
