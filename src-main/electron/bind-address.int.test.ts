import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { canListen, chooseBindAddr, freePort } from "./bind-address.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function occupy(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    servers.push(server);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

describe("chooseBindAddr", () => {
  it("keeps a free configured port", async () => {
    const port = await freePort("127.0.0.1");
    await expect(chooseBindAddr(`127.0.0.1:${port}`)).resolves.toEqual({ bindAddr: `127.0.0.1:${port}`, fallback: false });
  });

  it("falls back to another free port on the same host when the configured one is busy", async () => {
    const busy = await occupy();
    expect(await canListen("127.0.0.1", busy)).toBe(false);
    const chosen = await chooseBindAddr(`127.0.0.1:${busy}`);
    expect(chosen.fallback).toBe(true);
    const port = Number(chosen.bindAddr.split(":")[1]);
    expect(chosen.bindAddr.startsWith("127.0.0.1:")).toBe(true);
    expect(port).not.toBe(busy);
    expect(await canListen("127.0.0.1", port)).toBe(true);
  });

  it("leaves port 0 alone and keeps IPv6 brackets", async () => {
    await expect(chooseBindAddr("127.0.0.1:0")).resolves.toEqual({ bindAddr: "127.0.0.1:0", fallback: false });
    const ipv6 = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(0, "::1", () => s.close(() => resolve(true)));
    });
    if (!ipv6) return; // no IPv6 loopback on this machine
    const server = createServer();
    servers.push(server);
    const busy = await new Promise<number>((resolve) => server.listen(0, "::1", () => resolve((server.address() as { port: number }).port)));
    const chosen = await chooseBindAddr(`[::1]:${busy}`);
    expect(chosen.fallback).toBe(true);
    expect(chosen.bindAddr).toMatch(/^\[::1\]:\d+$/);
  });
});
