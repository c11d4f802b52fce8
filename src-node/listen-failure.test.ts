import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { listenFailureMessage } from "./listen-failure.js";

function listenError(port: number, host: string): Promise<unknown> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", resolve);
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

describe("listenFailureMessage", () => {
  it("names the address and what to do when the port is taken (was a stack trace)", async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const port = (holder.address() as { port: number }).port;
    const message = listenFailureMessage(await listenError(port, "127.0.0.1"));
    holder.close();
    expect(message).toBe(`cannot listen on 127.0.0.1:${port}: the port is already in use (another llama-orch, or another program); stop it or choose another address with --bind`);
  });

  it("says when the address is not one of this machine's", async () => {
    expect(listenFailureMessage(await listenError(0, "203.0.113.9"))).toMatch(/^cannot listen on 203\.0\.113\.9: no network interface/);
  });

  it("leaves other errors alone", () => {
    expect(listenFailureMessage(new Error("boom"))).toBeUndefined();
    expect(listenFailureMessage(Object.assign(new Error("x"), { code: "ENOENT", syscall: "open" }))).toBeUndefined();
  });
});
