import { describe, expect, it, vi } from "vitest";
import { buildTrayMenuTemplate, clusterStatusLine, countNodes, localWorkerLine, trayTooltip } from "./tray-menu.js";

function actions() {
  return { openDashboard: vi.fn(), startLocalWorker: vi.fn(), stopLocalWorker: vi.fn(), quit: vi.fn() };
}

function click(item: { click?: unknown } | undefined): void {
  (item?.click as () => void)();
}

describe("tray status", () => {
  it("counts online nodes out of all known ones", () => {
    expect(countNodes([{ status: "Online" }, { status: "Offline" }, { status: "Suspect" }, { status: "Online" }, { status: "Registering" }])).toEqual({ online: 2, total: 5 });
    expect(countNodes([])).toEqual({ online: 0, total: 0 });
  });

  it("says it in words", () => {
    expect(clusterStatusLine({ online: 0, total: 0 })).toBe("No worker nodes yet");
    expect(clusterStatusLine({ online: 1, total: 1 })).toBe("1 of 1 node online");
    expect(clusterStatusLine({ online: 2, total: 3 })).toBe("2 of 3 nodes online");
    expect(trayTooltip("llama-orch", { online: 2, total: 3 })).toBe("llama-orch — 2 of 3 nodes online");
    expect(localWorkerLine("running")).toBe("Local worker: running");
    expect(localWorkerLine("restarting")).toBe("Local worker: restarting…");
  });
});

describe("buildTrayMenuTemplate", () => {
  it("shows the status lines (disabled), Open dashboard, Run local worker and Quit", () => {
    const a = actions();
    const menu = buildTrayMenuTemplate({ counts: { online: 1, total: 2 }, localWorker: "stopped", actions: a });
    expect(menu.filter((i) => i.type !== "separator").map((i) => i.label)).toEqual(["1 of 2 nodes online", "Local worker: stopped", "Open dashboard", "Run local worker on this machine", "Quit llama-orch"]);
    expect(menu[0]?.enabled).toBe(false);
    click(menu.find((i) => i.id === "open-dashboard"));
    click(menu.find((i) => i.id === "local-worker-toggle"));
    click(menu.find((i) => i.id === "quit"));
    expect(a.openDashboard).toHaveBeenCalledOnce();
    expect(a.startLocalWorker).toHaveBeenCalledOnce();
    expect(a.quit).toHaveBeenCalledOnce();
  });

  it("offers Stop while the worker is active, disabled while it is stopping; Run again after a failure", () => {
    const a = actions();
    const running = buildTrayMenuTemplate({ counts: { online: 1, total: 1 }, localWorker: "running", actions: a }).find((i) => i.id === "local-worker-toggle");
    expect(running?.label).toBe("Stop local worker");
    click(running);
    expect(a.stopLocalWorker).toHaveBeenCalledOnce();
    expect(buildTrayMenuTemplate({ counts: { online: 1, total: 1 }, localWorker: "stopping", actions: a }).find((i) => i.id === "local-worker-toggle")?.enabled).toBe(false);
    expect(buildTrayMenuTemplate({ counts: { online: 0, total: 0 }, localWorker: "failed", actions: a }).find((i) => i.id === "local-worker-toggle")?.label).toBe("Run local worker on this machine");
  });
});
