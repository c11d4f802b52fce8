// TLS between nodes (docs/SECURITY.md "TLS between nodes"), with a real orchestrator (tls: true) and
// real worker processes: a worker started with the one join string (`<https url>#<token>@<CA
// fingerprint>`) pins the cluster CA, gets a certificate for its own key, serves HTTPS and a real
// completion; a server with another CA's certificate is refused by the agent (the token never leaves
// it) and by the orchestrator (no request reaches it); a certificate of the cluster CA for another node
// does not answer for this one; replayed and expired join tokens are refused over TLS; the dashboard
// cookie is Secure.
import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedJoinTokenSchema } from "../../src-shared/auth/join-tokens.js";
import { NodeDetailSchema } from "../../src-shared/dashboard/cluster-events.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { StageModelResponseSchema, StagingJobSchema } from "../../src-shared/staging/staging-job.js";
import type { NodeListResponse } from "../../src-shared/nodes/node-info.js";
import { clusterFetch, type FetchLike } from "../../src-node/tls/cluster-fetch.js";
import { CA_NAME, nodeName, ORCHESTRATOR_NAME } from "../../src-node/tls/peer-identity.js";
import { certificateFingerprint, issueCertificate, type CertName } from "../../src-node/tls/x509.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { startTestOrchestrator, TEST_TOKEN, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { killAllWorkers, startWorker, waitFor, type StartedWorker } from "../../test-support/worker-agent-process.js";

let orch: TestOrchestrator;
let caPem = "";
let https: FetchLike;
let worker: StartedWorker;
let w1Join = "";
const fakes: Server[] = [];

const api = (path: string, init: RequestInit = {}, token = TEST_TOKEN) =>
  https(`${orch.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) } });

async function mint(body: Record<string, unknown> = {}) {
  const res = await api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return CreatedJoinTokenSchema.parse(await res.json());
}

const nodes = async (): Promise<NodeListResponse> => (await (await api("/v2/nodes")).json()) as NodeListResponse;

/** A certificate chain from a CA that is not the cluster's, with the names the real one would carry. */
function foreignCertificate(subject: CertName): { key: string; cert: string } {
  const ca = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const leaf = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const now = Date.now();
  const caCert = issueCertificate({ subject: CA_NAME, issuer: CA_NAME, publicKey: ca.publicKey, signingKey: ca.privateKey, ca: true, notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
  const leafCert = issueCertificate({ subject, issuer: new X509Certificate(caCert), publicKey: leaf.publicKey, signingKey: ca.privateKey, ca: false, dnsNames: ["localhost"], ips: ["127.0.0.1"], notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
  return { key: leaf.privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: leafCert + caCert };
}

/** An HTTPS server counting TLS connections and the HTTP requests that got through. */
async function fakeServer(creds: { key: string; cert: string }): Promise<{ url: string; connections: () => number; requests: () => number }> {
  let connections = 0;
  let requests = 0;
  const server = createHttpsServer(creds, (_req, res) => {
    requests++;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  server.on("connection", () => connections++);
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fakes.push(server);
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, requests: () => requests };
}

async function refusal(res: Response): Promise<{ status: number; code: string; reason: unknown }> {
  const env = ErrorEnvelopeSchema.parse(await res.json());
  return { status: res.status, code: env.code, reason: (env.details as { reason?: unknown } | undefined)?.reason };
}

beforeAll(async () => {
  orch = await startTestOrchestrator({ tls: true });
  caPem = await readFile(join(orch.dataDir, "tls", "ca.pem"), "utf8");
  https = clusterFetch(caPem, { role: "orchestrator" });
}, 60_000);

afterAll(async () => {
  await killAllWorkers();
  for (const s of fakes) s.close();
  await orch.close();
});

describe("an orchestrator with tls: true", () => {
  it("serves HTTPS with a certificate of its CA (key 0600 in <data dir>/tls), and no plain HTTP", async () => {
    expect(orch.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await stat(join(orch.dataDir, "tls", "ca-key.pem"))).mode & 0o777).toBe(0o600);
    expect(orch.orchestrator.caFingerprint).toBe(certificateFingerprint(new X509Certificate(caPem)));
    expect((await api("/v2/nodes")).status).toBe(200);
    await expect(fetch(orch.url.replace("https:", "http:") + "/health", { signal: AbortSignal.timeout(5000) }).then((r) => r.status)).rejects.toThrow();
    // The system's roots do not hold the cluster CA: a client that does not pin it cannot talk to it either.
    await expect(fetch(`${orch.url}/health`)).rejects.toThrow();
  });

  it("answers a join token with the join string carrying its URL and CA fingerprint", async () => {
    const created = await mint({ node_id: "tls-w1" });
    expect(created.ca_fingerprint).toBe(orch.orchestrator.caFingerprint);
    expect(created.join).toBe(`${orch.url}#${created.token}@${created.ca_fingerprint}`);
  });

  it("a worker started with the join string pins the CA, gets its certificate, serves HTTPS and a real completion", async () => {
    const created = await mint({ node_id: "tls-w1" });
    w1Join = created.join;
    worker = await startWorker({
      models: { "tiny.gguf": testModelPath("tiny") },
      config: { node_id: "tls-w1", heartbeat_interval_secs: 0.5, registration_max_backoff_ms: 500 },
      env: { LLORCH_API_TOKEN: undefined, LLORCH_JOIN: created.join },
    });
    expect(worker.url).toMatch(/^https:/);
    const listed = await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "tls-w1" && n.status === "Online" && n.pools.some((p) => p.ready)), 30_000);
    expect(listed.nodes.find((n) => n.node_id === "tls-w1")?.address).toMatch(/^https:\/\/127\.0\.0\.1:/);
    // The pool probes (node:http with the node's agent, trusting the cluster CA) reach the worker over TLS.
    const poolId = listed.nodes.find((n) => n.node_id === "tls-w1")?.pools[0]?.pool_id as string;
    const probed = new RegExp(`^orchd_pool_health_checks_total\\{pool_id="${poolId}",outcome="success"\\} [1-9]`, "m");
    await waitFor("a successful pool probe over TLS", async () => probed.test(await (await api("/metrics")).text()), 15_000);
    const dir = join(worker.dataDir, "tls");
    expect((await stat(join(dir, "node-key.pem"))).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(await readFile(join(dir, "node.pem"), "utf8"));
    expect(cert.subject).toContain("CN=tls-w1");
    expect(cert.verify(new X509Certificate(caPem).publicKey)).toBe(true);
    expect(await readFile(join(dir, "ca.pem"), "utf8")).toBe(caPem);
    // The join token never reaches the log.
    expect(JSON.stringify(worker.logs)).not.toContain(created.token);

    const res = await api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: testModelName("tiny"), messages: [{ role: "user", content: "hi" }], max_tokens: 4 }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    // The worker speaks TLS only, with the node's certificate.
    const toWorker = clusterFetch(caPem, { role: "node", nodeId: "tls-w1" });
    expect((await toWorker(`${worker.url}/health`)).status).toBe(200);
    await expect(fetch(worker.url.replace("https:", "http:") + "/health", { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  }, 90_000);

  it("stages a model node to node over TLS: the receiver pulls from tls-w1's HTTPS through the cluster CA and verifies it", async () => {
    const created = await mint({ node_id: "tls-w8" });
    const receiver = await startWorker({
      models: {},
      config: { node_id: "tls-w8", heartbeat_interval_secs: 0.5, registration_max_backoff_ms: 500 },
      env: { LLORCH_API_TOKEN: undefined, LLORCH_JOIN: created.join },
    });
    await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "tls-w8" && n.status === "Online"), 30_000);
    const sha = createHash("sha256").update(await readFile(testModelPath("tiny"))).digest("hex");
    const staged = await api(`/v2/catalog/models/${sha}/stage`, { method: "POST", body: JSON.stringify({ nodes: ["tls-w8"] }) });
    expect(staged.status).toBe(202);
    const { jobs } = StageModelResponseSchema.parse(await staged.json());
    const done = await waitFor(async () => StagingJobSchema.parse(await (await api(`/v2/catalog/jobs/${jobs[0]?.job_id ?? ""}`)).json()), (j) => j.state === "completed" || j.state === "failed", 60_000);
    expect(done.state, JSON.stringify(done)).toBe("completed");
    expect(done.source_node_id).toBe("tls-w1");
    await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "tls-w8" && n.models.some((m) => m.sha256 === sha)), 15_000);
    expect(receiver.url).toMatch(/^https:/);
  }, 90_000);

  it("cannot be impersonated: another credential re-registering tls-w1 is refused, and its certificate does not answer for another node", async () => {
    const hijack = await api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: "tls-w1", machine_id: "evil", address: "https://127.0.0.1:9", pools: ["tls-w1-p0"], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" }) });
    expect(hijack.status).toBe(409);
    // A server holding tls-w1's own key and certificate, registered as node tls-w3: the orchestrator wants CN=tls-w3.
    const dir = join(worker.dataDir, "tls");
    const stolen = await fakeServer({ key: await readFile(join(dir, "node-key.pem"), "utf8"), cert: await readFile(join(dir, "node.pem"), "utf8") });
    const reg = await api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: "tls-w3", machine_id: "m3", address: stolen.url, pools: ["tls-w3-p0"], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" }) });
    expect(reg.status).toBe(200);
    await waitFor(async () => stolen.connections(), (n) => n >= 1, 15_000);
    await sleep(1000);
    expect(stolen.requests()).toBe(0);
  }, 30_000);

  it("a man in the middle with another CA's certificate: the orchestrator sends it no request", async () => {
    const mitm = await fakeServer(foreignCertificate(nodeName("tls-w2")));
    const reg = await api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: "tls-w2", machine_id: "m2", address: mitm.url, pools: ["tls-w2-p0"], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" }) });
    expect(reg.status).toBe(200);
    await waitFor(async () => mitm.connections(), (n) => n >= 1, 15_000);
    await sleep(1000);
    expect(mitm.requests()).toBe(0);
  }, 30_000);

  it("a man in the middle with another CA's certificate: the agent refuses it before sending the join token, which stays usable", async () => {
    const mitm = await fakeServer(foreignCertificate(ORCHESTRATOR_NAME));
    const created = await mint({ node_id: "tls-w4" });
    const fingerprint = created.ca_fingerprint ?? "";
    const refused = await startWorker({
      config: { node_id: "tls-w4" },
      env: { LLORCH_API_TOKEN: undefined, LLORCH_JOIN: `${mitm.url}#${created.token}@${fingerprint}` },
      waitForListening: false,
    });
    const exit = await refused.exited;
    expect(exit.code).toBe(2);
    expect(refused.stderr()).toContain("pinned CA");
    expect(mitm.connections()).toBeGreaterThanOrEqual(1);
    expect(mitm.requests()).toBe(0);
    // The same token still joins the real orchestrator: it never reached the man in the middle.
    const kp = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const joined = await api("/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "tls-w4", tls_public_key: kp.publicKey.export({ type: "spki", format: "pem" }) }) }, created.token);
    expect(joined.status).toBe(201);
    const answer = (await joined.json()) as { tls: { certificate: string } | null };
    expect(new X509Certificate(answer.tls?.certificate ?? "").subject).toContain("CN=tls-w4");
  }, 30_000);

  it("refuses a replayed or an expired join token over TLS, and a plain http:// address", async () => {
    const created = await mint({ node_id: "tls-w5" });
    expect((await api("/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "tls-w5" }) }, created.token)).status).toBe(201);
    expect(await refusal(await api("/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "tls-w5" }) }, created.token))).toEqual({ status: 401, code: "BAD_TOKEN", reason: "join_token_used" });
    const short = await mint({ ttl_ms: 1000 });
    await sleep(1500);
    expect(await refusal(await api("/v2/nodes/join", { method: "POST", body: JSON.stringify({ node_id: "tls-w6" }) }, short.token))).toEqual({ status: 401, code: "BAD_TOKEN", reason: "join_token_expired" });
    const plain = await api("/v2/nodes/register", { method: "POST", body: JSON.stringify({ node_id: "tls-w7", machine_id: "m7", address: "http://10.0.0.7:9200", pools: ["tls-w7-p0"], capabilities: { gpus: [], cpu_cores: 2 }, version: "test" }) });
    expect(await refusal(plain)).toEqual({ status: 400, code: "INVALID_PARAMS", reason: "tls_required" });
  }, 20_000);

  it("sets the dashboard session cookie Secure over TLS", async () => {
    const res = await https(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("set-cookie")).toMatch(/; Secure/);
  });

  it("survives restarts: the orchestrator keeps its CA, the agent re-registers over TLS, a restarted agent serves with its stored certificate", async () => {
    const fingerprint = orch.orchestrator.caFingerprint;
    const registrations = () => worker.logs.filter((l) => l.msg === "registered with orchestrator").length;
    const before = registrations();
    await orch.restart();
    expect(orch.orchestrator.caFingerprint).toBe(fingerprint);
    // Keep-alive sockets to the old server are gone: a fresh client.
    https = clusterFetch(caPem, { role: "orchestrator" });
    await waitFor(async () => registrations(), (n) => n > before, 30_000);
    await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "tls-w1" && n.status === "Online"), 30_000);

    const dataDir = worker.dataDir;
    expect(await worker.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    // The same (spent) join string: the stored key, CA and certificate are used, the token is not presented.
    worker = await startWorker({
      models: { "tiny.gguf": testModelPath("tiny") },
      config: { node_id: "tls-w1", data_dir: dataDir, heartbeat_interval_secs: 0.5, registration_max_backoff_ms: 500 },
      env: { LLORCH_API_TOKEN: undefined, LLORCH_JOIN: w1Join },
    });
    expect(worker.url).toMatch(/^https:/);
    expect(worker.logs.some((l) => l.msg === "using the node key from an earlier join")).toBe(true);
    await waitFor(nodes, (l) => l.nodes.some((n) => n.node_id === "tls-w1" && n.status === "Online" && n.address === worker.url && n.pools.some((p) => p.ready)), 30_000);
    const res = await api("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: testModelName("tiny"), messages: [{ role: "user", content: "again" }], max_tokens: 4 }) });
    expect(res.status).toBe(200);
  }, 120_000);

  it("watches a node over TLS: a killed agent is marked Suspect by its dropped watch, not by heartbeat silence", async () => {
    const dropped = async () => NodeDetailSchema.parse(await (await api("/v2/nodes/tls-w1")).json()).events.filter((e) => e.to === "Suspect" && e.message.includes("connection to the node dropped"));
    const before = (await dropped()).length;
    // Let the watch (an HTTPS request through the node's cluster agent) connect and carry pings.
    await sleep(1500);
    expect(await worker.stop("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    await waitFor(dropped, (events) => events.length > before, 15_000);
  }, 60_000);
});

describe("an orchestrator with the operator's CA (tls_ca_cert_file / tls_ca_key_file)", () => {
  it("signs its own and each joined node's certificate with it, and refuses a key that does not match", async () => {
    const dir = await mkdtemp(join(tmpdir(), "llorch-opca-"));
    const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const now = Date.now();
    // An operator's CA with its own subject (no llama-orch names): issued certificates copy it as their issuer.
    const opCa = issueCertificate({ subject: { ou: "Platform", cn: "Acme Internal CA" }, issuer: { ou: "Platform", cn: "Acme Internal CA" }, publicKey: pair.publicKey, signingKey: pair.privateKey, ca: true, notBefore: new Date(now - 60_000), notAfter: new Date(now + 30 * 86_400_000) });
    await writeFile(join(dir, "ca.pem"), opCa);
    await writeFile(join(dir, "ca-key.pem"), pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    const op = await startTestOrchestrator({ tls: true, tls_ca_cert_file: join(dir, "ca.pem"), tls_ca_key_file: join(dir, "ca-key.pem") });
    try {
      expect(op.orchestrator.caFingerprint).toBe(certificateFingerprint(new X509Certificate(opCa)));
      const client = clusterFetch(opCa, { role: "orchestrator" });
      const minted = CreatedJoinTokenSchema.parse(await (await client(`${op.url}/v2/auth/join-tokens`, { method: "POST", headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" }, body: "{}" })).json());
      const kp = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const res = await client(`${op.url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${minted.token}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "op-w1", tls_public_key: kp.publicKey.export({ type: "spki", format: "pem" }) }) });
      expect(res.status).toBe(201);
      const cert = new X509Certificate(((await res.json()) as { tls: { certificate: string } }).tls.certificate);
      expect(cert.checkIssued(new X509Certificate(opCa))).toBe(true);
      expect(cert.verify(pair.publicKey)).toBe(true);
      // A join with a key that is not EC P-256 is a 400 and leaves the token unspent.
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const minted2 = CreatedJoinTokenSchema.parse(await (await client(`${op.url}/v2/auth/join-tokens`, { method: "POST", headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" }, body: "{}" })).json());
      const bad = await client(`${op.url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${minted2.token}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "op-w2", tls_public_key: rsa.publicKey.export({ type: "spki", format: "pem" }) }) });
      expect(await refusal(bad)).toEqual({ status: 400, code: "INVALID_PARAMS", reason: "bad_tls_public_key" });
      expect((await client(`${op.url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${minted2.token}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: "op-w2" }) })).status).toBe(201);
    } finally {
      await op.close();
    }
    await writeFile(join(dir, "ca-key.pem"), generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    await expect(startTestOrchestrator({ tls: true, tls_ca_cert_file: join(dir, "ca.pem"), tls_ca_key_file: join(dir, "ca-key.pem") })).rejects.toThrow("does not match");
  }, 30_000);
});
