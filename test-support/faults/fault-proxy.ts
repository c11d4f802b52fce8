// A TCP proxy on 127.0.0.1 between the orchestrator and one worker, whose behaviour a fault test
// switches at run time: pass, added latency, black hole (a partition: nothing moves either way,
// sockets stay open, TCP backpressure holds the bytes until it heals), mute (a one-way partition:
// orchestrator → worker bytes still flow, worker → orchestrator bytes are held), connection reset
// (RST on every open connection and on new ones) and byte corruption.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { Prng } from "../../scripts/gguf/prng.js";

export type NetworkFault = { kind: "pass" } | { kind: "latency"; ms: number } | { kind: "blackhole" } | { kind: "mute" } | { kind: "reset" } | { kind: "corrupt"; probability: number };

export interface FaultProxy {
  /** The address to advertise instead of the worker's own. */
  readonly url: string;
  /** Where connections go (the worker's base URL); connections wait until it is set. */
  setTarget(url: string): void;
  set(fault: NetworkFault): void;
  readonly fault: NetworkFault;
  close(): Promise<void>;
}

export async function startFaultProxy(rng: Prng): Promise<FaultProxy> {
  let target: { host: string; port: number } | undefined;
  let fault: NetworkFault = { kind: "pass" };
  const waiting: Socket[] = [];
  const pairs = new Set<[Socket, Socket]>();

  /** Applies the current fault to bytes flowing one way (`fromWorker`: worker → orchestrator). */
  const pipe = (from: Socket, to: Socket, fromWorker: boolean): void => {
    from.on("data", (chunk: Buffer) => {
      const current = fault;
      if (current.kind === "reset") return from.resetAndDestroy();
      if (current.kind === "mute" && fromWorker) {
        // Held, not dropped: the bytes go on when the fault heals.
        from.pause();
        from.unshift(chunk);
        return;
      }
      let out = chunk;
      if (current.kind === "corrupt" && rng() < current.probability) {
        out = Buffer.from(chunk);
        const at = Math.floor(rng() * out.length);
        out[at] = (out[at] ?? 0) ^ 0xff;
      }
      if (current.kind === "latency") setTimeout(() => to.writable && to.write(out), current.ms);
      else if (to.writable) to.write(out);
    });
    from.on("end", () => to.end());
    from.on("error", () => to.destroy());
    from.on("close", () => to.destroy());
  };

  const connect = (client: Socket): void => {
    if (fault.kind === "blackhole") {
      waiting.push(client);
      return;
    }
    if (fault.kind === "reset" || target === undefined) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    upstream.on("close", () => pairs.delete(pair));
    pipe(client, upstream, false);
    pipe(upstream, client, true);
    if (fault.kind === "mute") upstream.pause();
  };

  const server: Server = createServer((client) => {
    client.on("error", () => undefined);
    if (target === undefined) waiting.push(client);
    else connect(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fault proxy did not bind");

  return {
    url: `http://127.0.0.1:${address.port}`,
    setTarget(url) {
      const parsed = new URL(url);
      target = { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port) };
      for (const client of waiting.splice(0)) connect(client);
    },
    set(next) {
      fault = next;
      for (const [client, upstream] of pairs) {
        if (next.kind === "blackhole") client.pause();
        else client.resume();
        if (next.kind === "blackhole" || next.kind === "mute") upstream.pause();
        else upstream.resume();
      }
      if (next.kind !== "blackhole" && target !== undefined) for (const client of waiting.splice(0)) connect(client);
      if (next.kind !== "reset") return;
      for (const [client, upstream] of pairs) {
        if (!client.destroyed) client.resetAndDestroy();
        if (!upstream.destroyed) upstream.resetAndDestroy();
      }
    },
    get fault() {
      return fault;
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      for (const client of waiting.splice(0)) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
