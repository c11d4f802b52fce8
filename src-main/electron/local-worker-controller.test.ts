import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { LocalWorkerStatusSchema, type LocalWorkerStatus } from "../../src-shared/ipc/ipc-contract.js";
import type { NodeStatus } from "../../src-shared/nodes/node-info.js";
import type { LocalWorkerOptions } from "../local-worker/local-worker-supervisor.js";
import { ShellError } from "./ipc-registrar.js";
import { LocalWorkerController, type SupervisorLike } from "./local-worker-controller.js";

class FakeSupervisor implements SupervisorLike {
  state: SupervisorLike["state"] = "stopped";
  pid: number | undefined;
  starts = 0;
  stops = 0;
  constructor(
    readonly options: LocalWorkerOptions,
    private readonly failWith: string | null,
  ) {}
  async start(): Promise<void> {
    this.starts++;
    await new Promise((r) => setTimeout(r, 5));
    if (this.failWith) throw new Error(this.failWith);
    this.state = "running";
    this.pid = 4242;
  }
  async stop(): Promise<void> {
    this.stops++;
    await new Promise((r) => setTimeout(r, 5));
    this.state = "stopped";
    this.pid = undefined;
  }
}

function setup(opts: { failWith?: string } = {}) {
  const supervisors: FakeSupervisor[] = [];
  let nodeStatus: NodeStatus | undefined;
  let choice: "ask" | "on" | "off" = "ask";
  const controller = new LocalWorkerController({
    nodeId: "local",
    modelsDir: () => "/models",
    supervisorOptions: () => ({ orchestratorUrl: "http://127.0.0.1:8080", token: "t".repeat(64), dataDir: "/data", demoModelWhenEmpty: true, logger: pino({ level: "silent" }) }),
    createSupervisor: (o) => {
      const s = new FakeSupervisor(o, opts.failWith ?? null);
      supervisors.push(s);
      return s;
    },
    nodeStatus: () => nodeStatus,
    choice: () => choice,
    logger: pino({ level: "silent" }),
    pollMs: 10,
  });
  const events: LocalWorkerStatus[] = [];
  controller.on("status", (s) => events.push(s));
  return {
    controller,
    supervisors,
    events,
    setNodeStatus: (s: NodeStatus | undefined) => (nodeStatus = s),
    setChoice: (c: typeof choice) => (choice = c),
  };
}

describe("LocalWorkerController", () => {
  it("starts a supervised worker on the models folder, with the node id, and reports it", async () => {
    const { controller, supervisors, events } = setup();
    expect(controller.status()).toMatchObject({ state: "stopped", pid: null, nodeStatus: null, modelsDir: "/models", choice: "ask" });
    const status = await controller.start();
    expect(supervisors).toHaveLength(1);
    expect(supervisors[0]?.options).toMatchObject({ modelsDir: "/models", nodeId: "local", demoModelWhenEmpty: true, orchestratorUrl: "http://127.0.0.1:8080" });
    expect(status).toMatchObject({ state: "running", pid: 4242 });
    expect(events.map((e) => e.state)).toEqual(["starting", "running"]);
    for (const e of events) expect(LocalWorkerStatusSchema.parse(e)).toEqual(e);
    expect(controller.active).toBe(true);
    await controller.stop();
  });

  it("is idempotent: concurrent and repeated starts use one supervisor", async () => {
    const { controller, supervisors } = setup();
    await Promise.all([controller.start(), controller.start(), controller.start()]);
    await controller.start();
    expect(supervisors).toHaveLength(1);
    expect(supervisors[0]?.starts).toBe(1);
    await controller.stop();
  });

  it("stops (stopping → stopped) and can start again", async () => {
    const { controller, supervisors, events } = setup();
    await controller.start();
    events.length = 0;
    const stopped = await controller.stop();
    expect(stopped).toMatchObject({ state: "stopped", pid: null });
    expect(events.map((e) => e.state)).toEqual(["stopping", "stopped"]);
    expect(controller.active).toBe(false);
    await controller.start();
    expect(supervisors).toHaveLength(2);
    await controller.stop();
    await controller.stop(); // stopping a stopped worker is fine
    expect(supervisors[1]?.stops).toBe(1);
  });

  it("a failed start is reported as failed with the reason, and a ShellError for the caller", async () => {
    const { controller, events } = setup({ failWith: "worker agent not built" });
    const err = await controller.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShellError);
    expect((err as ShellError).code).toBe("LOCAL_WORKER_FAILED");
    expect(controller.status()).toMatchObject({ state: "failed", lastError: "worker agent not built", pid: null });
    expect(events.at(-1)?.state).toBe("failed");
    expect(controller.active).toBe(false);
    await controller.stop();
    expect(controller.status().state).toBe("stopped");
  });

  it("reports the node's registry status and the remembered choice; notify() emits only changes", async () => {
    const t = setup();
    t.controller.notify();
    const before = t.events.length;
    t.controller.notify();
    expect(t.events.length).toBe(before);
    t.setNodeStatus("Online");
    t.setChoice("on");
    t.controller.notify();
    expect(t.events.at(-1)).toMatchObject({ nodeStatus: "Online", choice: "on" });
  });
});
