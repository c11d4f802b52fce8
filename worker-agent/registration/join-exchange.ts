import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { JoinNodeResponseSchema } from "../../src-shared/auth/join-tokens.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { clusterFetch, type FetchLike } from "../../src-node/tls/cluster-fetch.js";
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
/** The key this agent made for its join, kept until the join's answer is in (see JoinNodeRequest.key). */
export const PENDING_NODE_KEY_FILE = "node-key.pending";
const NODE_KEY_SHAPE = /^llo_[0-9a-f]{64}$/;

async function writePrivate(dataDir: string, file: string, text: string): Promise<string> {
  const path = join(dataDir, file);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

/** The key proposed by an earlier attempt of this join (a lost answer), else a new one, stored first. */
async function pendingKey(dataDir: string): Promise<string> {
  try {
    const existing = (await readFile(join(dataDir, PENDING_NODE_KEY_FILE), "utf8")).trim();
    if (NODE_KEY_SHAPE.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = `llo_${randomBytes(32).toString("hex")}`;
  await writePrivate(dataDir, PENDING_NODE_KEY_FILE, `${key}\n`);
  return key;
}

/** Whether the orchestrator accepts `key` (a worker key may not list nodes: 403 FORBIDDEN_SCOPE is accepted too). */
async function keyAccepted(send: FetchLike, orchestratorUrl: string, key: string): Promise<boolean> {
  try {
    const res = await send(new URL("/v2/nodes", orchestratorUrl), { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text().catch(() => "");
    return res.ok || (res.status === 403 && text.includes('"FORBIDDEN_SCOPE"'));
  } catch {
    return false;
  }
}

/**
 * Spends a join token at POST /v2/nodes/join for this node's own `worker` key and stores it in
 * <data_dir>/node-key (mode 0600, written atomically). Retries only while the orchestrator cannot be
 * reached or answers 5xx; a refusal (401 used/expired/unknown, 409 wrong or bound node id) is final.
 */
export async function joinedNodeKey(orchestratorUrl: string, joinToken: string, nodeId: string, dataDir: string, tls?: NodeTls): Promise<{ ok: true; key: string; path: string; server: NodeTls["server"] } | { ok: false; error: string }> {
  // Over TLS: only the pinned CA's orchestrator is spoken to, and it signs a certificate for a key made here.
  const send = tls !== undefined ? clusterFetch(tls.caPem, { role: "orchestrator" }) : globalThis.fetch;
  const publicKey = tls !== undefined ? await newNodeKey(dataDir) : undefined;
  // The key is made and stored before the request: if the answer is lost after the orchestrator committed
  // the join (it was killed, the connection cut), a retry finds the token spent and this key already works.
  const proposed = await pendingKey(dataDir);
  let propose = true;
  let last = "";
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(Math.min(500 * 2 ** (attempt - 1), 5000));
    let res: Response;
    try {
      res = await send(new URL("/v2/nodes/join", orchestratorUrl), {
        method: "POST",
        headers: { authorization: `Bearer ${joinToken}`, "content-type": "application/json" },
        body: JSON.stringify({ node_id: nodeId, ...(publicKey !== undefined ? { tls_public_key: publicKey } : {}), ...(propose ? { key: proposed } : {}) }),
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
    // An orchestrator from before proposed keys refuses the unknown field: join the old way.
    if (res.status === 400 && propose && text.includes('"key"')) {
      propose = false;
      attempt--;
      continue;
    }
    // Spent by an earlier attempt of ours whose answer was lost: our proposed key is the node's key. Over
    // TLS the node's certificate came only in that answer, so such a join cannot be completed here.
    if (res.status === 401 && text.includes("join_token_used") && propose && tls === undefined && (await keyAccepted(send, orchestratorUrl, proposed))) {
      const path = await writePrivate(dataDir, NODE_KEY_FILE, `${proposed}\n`);
      await rm(join(dataDir, PENDING_NODE_KEY_FILE), { force: true });
      return { ok: true, key: proposed, path, server: undefined };
    }
    if (res.status !== 201) return { ok: false, error: `joining ${orchestratorUrl} as node ${nodeId} was refused: HTTP ${res.status}${envelopeText(text)}` };
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
    const path = await writePrivate(dataDir, NODE_KEY_FILE, `${parsed.data.key}\n`);
    await rm(join(dataDir, PENDING_NODE_KEY_FILE), { force: true });
    return { ok: true, key: parsed.data.key, path, server };
  }
  return { ok: false, error: `joining ${orchestratorUrl}: orchestrator not reachable (${last})` };
}

/** ` CODE: message (reason)` from the orchestrator's error envelope, else the start of the body. */
function envelopeText(text: string): string {
  try {
    const envelope = ErrorEnvelopeSchema.safeParse(JSON.parse(text));
    if (envelope.success) {
      const reason = (envelope.data.details as { reason?: unknown } | undefined)?.reason;
      return ` ${envelope.data.code}: ${envelope.data.message}${typeof reason === "string" ? ` (${reason})` : ""}`;
    }
  } catch {
    // Not JSON: some other server answered.
  }
  return `: ${text.slice(0, 300)}`;
}
