import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../scripts/gguf/prng.js";
import { NodeListResponseSchema, type NodeInfo } from "../../src-shared/nodes/node-info.js";
import { checkHistory } from "../../test-support/faults/history-checker.js";
import { History } from "../../test-support/faults/history.js";
import { LoadClient } from "../../test-support/faults/load-client.js";
import { pollNodes } from "../../test-support/faults/node-poller.js";
import { testModelName } from "../../test-support/models.js";
import { startTestOrchestrator, type TestOrchestrator } from "../../test-support/orchestrator-harness.js";
import { waitFor } from "../../test-support/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../../test-support/worker-process.js";

// Network faults with real kernel networking (issue 14): a worker agent runs in its own network
// namespace, joined to the orchestrator (root namespace) by a veth pair; `tc netem` on both ends
// applies loss, then a partition (every packet dropped), then heals (tbf where the kernel lacks netem). Streaming load runs throughout
// and the history checker judges it: nothing lost or duplicated. The node must turn Suspect/Offline
// during the partition and Online after the heal, once, with the same pools (no duplicate node, no
// ghost pools). A raw /v2/events client inside the namespace vanishes with the partition (no FIN)
// and the orchestrator must close it within the dead-peer limit. Needs root, `ip netns` and `tc`.

function skipReason(): string | null {
  if (process.platform !== "linux") return "network namespaces are Linux only";
  if (process.getuid?.() !== 0) return "needs root (ip netns, tc)";
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
    execFileSync("tc", ["-V"], { stdio: "ignore" });
  } catch {
    return "`ip netns` or `tc` (iproute2) is not available";
  }
  return null;
}
const reason = skipReason();
if (reason !== null) console.log(`netns-faults: skipped (${reason})`);

// Unique per run (interface names are at most 15 characters), removed in afterAll whatever happened.
const tag = randomBytes(3).toString("hex");
const NS = `llo-nf-${tag}`;
const VETH_HOST = `lnfh${tag}`;
const VETH_NS = `lnfn${tag}`;
const SUBNET = `10.${200 + (randomBytes(1)[0] as number) % 50}.${randomBytes(1)[0] as number}`;
const HOST_IP = `${SUBNET}.1`;
const NS_IP = `${SUBNET}.2`;
const NODE_ID = `netns-${tag}`;
const TINY = testModelName("tiny");
const HEARTBEAT_MS = 500;
const DEAD_PEER_MS = 3000;
const PHASE_MS = 8000;

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
const inNs = (...args: string[]) => ip("netns", "exec", NS, ...args);
/**
 * The qdisc of each fault on both ends of the veth. `tc netem` where the kernel has it (sch_netem);
 * kernels built without it (e.g. Firecracker guests) get the token bucket filter instead: a bucket
 * smaller than any packet drops every packet (partition), a tight rate with a short queue drops
 * under bursts (loss by congestion rather than at random). The test prints which one ran.
 */
type Shape = "loss" | "partition" | "heal";
const QDISCS: Record<"netem" | "tbf", Record<Exclude<Shape, "heal">, string[]>> = {
  netem: { loss: ["netem", "loss", "20%"], partition: ["netem", "loss", "100%"] },
  tbf: { loss: ["tbf", "rate", "2mbit", "burst", "16kb", "limit", "24kb"], partition: ["tbf", "rate", "8kbit", "burst", "64", "limit", "64"] },
};
let qdiscKind: "netem" | "tbf" = "netem";

function shape(what: Shape): void {
  const apply = (prefix: string[], dev: string) => {
    try {
      execFileSync(prefix[0] as string, [...prefix.slice(1), "tc", "qdisc", "del", "dev", dev, "root"], { stdio: "ignore" });
    } catch {
      // no qdisc yet
    }
    if (what !== "heal") execFileSync(prefix[0] as string, [...prefix.slice(1), "tc", "qdisc", "add", "dev", dev, "root", ...QDISCS[qdiscKind][what]], { stdio: "pipe" });
  };
  apply(["env"], VETH_HOST);
  apply(["ip", "netns", "exec", NS], VETH_NS);
}

/** Packets the qdiscs on both ends dropped so far (`tc -s`). */
function droppedPackets(): number {
  const read = (out: Buffer) => [...out.toString().matchAll(/dropped (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  return read(execFileSync("tc", ["-s", "qdisc", "show", "dev", VETH_HOST])) + read(inNs("tc", "-s", "qdisc", "show", "dev", VETH_NS));
}

let orch: TestOrchestrator | undefined;
let worker: WorkerProcess | undefined;
let rawClient: ChildProcess | undefined;

async function nodes(): Promise<NodeInfo[]> {
  if (orch === undefined) return [];
  return NodeListResponseSchema.parse(await (await orch.api("/v2/nodes")).json()).nodes;
}

/** Is there an established TCP connection from the namespace's client port to the orchestrator (root namespace's table)? */
function established(orchPort: number, clientPort: number): boolean {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "latin1")
    .split("\n")
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1]?.endsWith(`:${hex(orchPort)}`) === true && f[2]?.endsWith(`:${hex(clientPort)}`) === true && f[3] === "01";
    });
}

describe.skipIf(reason !== null)(`network faults in namespaces (tc netem: loss, partition, heal)${reason !== null ? ` [skipped: ${reason}]` : ""}`, () => {
  beforeAll(async () => {
    ip("netns", "add", NS);
    ip("link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS);
    ip("link", "set", VETH_NS, "netns", NS);
    ip("addr", "add", `${HOST_IP}/24`, "dev", VETH_HOST);
    ip("link", "set", VETH_HOST, "up");
    inNs("ip", "addr", "add", `${NS_IP}/24`, "dev", VETH_NS);
    inNs("ip", "link", "set", VETH_NS, "up");
    inNs("ip", "link", "set", "lo", "up");
    try {
      execFileSync("tc", ["qdisc", "add", "dev", VETH_HOST, "root", "netem", "delay", "0ms"], { stdio: "pipe" });
      execFileSync("tc", ["qdisc", "del", "dev", VETH_HOST, "root"], { stdio: "pipe" });
    } catch {
      qdiscKind = "tbf";
    }
    console.log(`netns-faults: ${qdiscKind === "netem" ? "tc netem (loss 20 %, loss 100 %)" : "this kernel has no sch_netem: tc tbf (congestion loss at 2 Mbit/s, a bucket smaller than any packet for the partition)"}`);
    orch = await startTestOrchestrator({ bind_addr: `${HOST_IP}:0`, watch_heartbeat_ms: HEARTBEAT_MS, watch_dead_peer_ms: DEAD_PEER_MS, log_level: "info" });
    worker = await startWorkerProcess({
      nodeId: NODE_ID,
      models: ["tiny"],
      orchestratorUrl: orch.url,
      token: orch.token,
      slots: 2,
      config: { bind_addr: `${NS_IP}:0` },
      commandPrefix: ["ip", "netns", "exec", NS],
      startTimeoutMs: 60_000,
    });
    await waitFor("the namespaced node Online with a ready pool", async () => (await nodes()).some((n) => n.node_id === NODE_ID && n.status === "Online" && n.pools.some((p) => p.ready)), 60_000, 200);
  }, 90_000);

  afterAll(async () => {
    if (rawClient?.pid !== undefined && rawClient.exitCode === null) rawClient.kill("SIGKILL");
    await worker?.kill("SIGKILL");
    await orch?.close();
    // The namespace and the veth go even when the test failed (deleting the namespace deletes its end).
    for (const cleanup of [() => ip("link", "del", VETH_HOST), () => ip("netns", "del", NS)]) {
      try {
        cleanup();
      } catch {
        // already gone
      }
    }
  }, 30_000);

  it("loss, then a partition, then heal: no task lost or duplicated, the node Offline during the partition and Online after it with the same pools, a vanished watcher closed", async () => {
    const o = orch as TestOrchestrator;
    const orchPort = Number(new URL(o.url).port);
    const poolsBefore = (await nodes()).find((n) => n.node_id === NODE_ID)?.pools.map((p) => p.pool_id).sort() ?? [];
    expect(poolsBefore.length).toBeGreaterThan(0);

    // A dashboard-feed watcher inside the namespace: a raw socket that keeps reading until the partition cuts it off.
    const script = `const s=require("net").connect(${orchPort},"${HOST_IP}",()=>{console.log("port "+s.localPort);s.write("GET /v2/events HTTP/1.1\\r\\nHost: ${HOST_IP}:${orchPort}\\r\\nAuthorization: Bearer ${o.token}\\r\\n\\r\\n")});s.on("data",()=>{});s.on("error",()=>{});`;
    rawClient = spawn("ip", ["netns", "exec", NS, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "ignore"] });
    const clientPort = await new Promise<number>((resolve, reject) => {
      rawClient?.stdout?.on("data", (c: Buffer) => {
        const m = /port (\d+)/.exec(c.toString());
        if (m) resolve(Number(m[1]));
      });
      rawClient?.once("exit", () => reject(new Error("the namespaced watcher exited")));
    });
    await waitFor("the watcher's connection established", () => established(orchPort, clientPort), 10_000, 50);

    const history = new History();
    const poller = pollNodes(o.url, o.token, history);
    const loadUntil = PHASE_MS * 3;
    const clients = [0, 1, 2].map((i) =>
      new LoadClient({ url: o.url, token: o.token, models: [{ name: TINY, ctx: 512, minTokens: 4, maxTokens: 48 }], rng: mulberry32(1400 + i), history, submitUntil: loadUntil, followLimitMs: 40_000 }).run(),
    );

    await new Promise((r) => setTimeout(r, 1000));
    history.add({ kind: "fault", fault: `${qdiscKind}-loss` });
    shape("loss");
    await new Promise((r) => setTimeout(r, PHASE_MS));
    // Still up through the loss: TCP retransmits, heartbeats get through often enough.
    expect(established(orchPort, clientPort)).toBe(true);
    const lossDrops = droppedPackets();

    const partitionAt = history.now();
    history.add({ kind: "fault", fault: `${qdiscKind}-partition` });
    shape("partition");
    await waitFor("the node unschedulable in the partition", async () => (await nodes()).some((n) => n.node_id === NODE_ID && n.status !== "Online"), 15_000, 100);
    // The watcher vanished without a FIN: the orchestrator closes it within the dead-peer limit (+ 2 heartbeats).
    await waitFor("the vanished watcher's connection closed by the orchestrator", () => !established(orchPort, clientPort), DEAD_PEER_MS + 4 * HEARTBEAT_MS + 4000, 100);
    const watcherClosedAfter = history.now() - partitionAt;
    expect(droppedPackets()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Math.max(0, PHASE_MS - (history.now() - partitionAt))));
    expect((await nodes()).find((n) => n.node_id === NODE_ID)?.status).toBe("Offline");

    history.add({ kind: "fault", fault: `${qdiscKind}-heal` });
    const healAt = history.now();
    shape("heal");
    await waitFor("the node Online again with a ready pool after the heal", async () => (await nodes()).some((n) => n.node_id === NODE_ID && n.status === "Online" && n.pools.some((p) => p.ready)), 20_000, 100);
    const backOnlineAfter = history.now() - healAt;

    await Promise.all(clients);
    await poller.stop();
    rawClient.kill("SIGKILL");

    const after = await nodes();
    expect(after.filter((n) => n.node_id === NODE_ID)).toHaveLength(1);
    expect(new Set(after.map((n) => n.node_id)).size).toBe(after.length);
    const poolsAfter = after.find((n) => n.node_id === NODE_ID)?.pools.map((p) => p.pool_id).sort() ?? [];
    expect(poolsAfter).toEqual(poolsBefore);

    const result = checkHistory(history.entries, { stateToleranceMs: 1000 });
    const states = history.entries.flatMap((e) => (e.kind === "node" && e.node === NODE_ID ? [`${e.t}:${e.state}`] : []));
    console.log(
      `netns-faults: accepted=${result.counts.accepted} completed=${result.counts.completed} canceled=${result.counts.canceled} failed=${JSON.stringify(result.counts.failedByCode)} refused=${JSON.stringify(result.counts.refusedByCode)} packets dropped in the loss phase=${lossDrops} lost=${result.counts.lost} duplicated=${result.counts.duplicated}; watcher closed ${watcherClosedAfter} ms into the partition; Online ${backOnlineAfter} ms after heal; node states ${states.join(" ")}`,
    );
    expect(result.violations).toEqual([]);
    expect(result.counts.lost).toBe(0);
    expect(result.counts.duplicated).toBe(0);
    expect(result.counts.accepted).toBeGreaterThan(5);
    expect(result.counts.completed).toBeGreaterThan(0);
    // The node was seen unschedulable during the partition and Online after the heal.
    const nodeEntries = history.entries.filter((e): e is Extract<typeof e, { kind: "node" }> => e.kind === "node" && e.node === NODE_ID);
    expect(nodeEntries.some((e) => e.t >= partitionAt && e.t < healAt && e.state === "Offline")).toBe(true);
    expect(nodeEntries.filter((e) => e.t >= healAt).at(-1)?.state).toBe("Online");
  }, 90_000);
});
