import { describe, expect, it, vi } from "vitest";
import { buildAppMenuTemplate, flattenMenu, type AppMenuActions } from "./app-menu.js";

function actions(): AppMenuActions & Record<string, ReturnType<typeof vi.fn>> {
  return { openSettings: vi.fn(), openLogsView: vi.fn(), revealLogFiles: vi.fn(), openModelsFolder: vi.fn(), addModelFile: vi.fn(), startLocalWorker: vi.fn(), stopLocalWorker: vi.fn() };
}

function build(platform: NodeJS.Platform, isPackaged: boolean, localWorkerActive = false, a = actions()) {
  return { items: flattenMenu(buildAppMenuTemplate({ platform, appName: "llama-orch", isPackaged, localWorkerActive, actions: a })), a };
}

function byAccelerator(items: ReturnType<typeof flattenMenu>, accelerator: string) {
  const found = items.filter((i) => i.accelerator === accelerator);
  expect(found, accelerator).toHaveLength(1);
  return found[0] as { click: () => void };
}

describe("buildAppMenuTemplate", () => {
  for (const platform of ["linux", "win32", "darwin"] as const) {
    it(`${platform}: CmdOrCtrl+, opens Settings and CmdOrCtrl+Shift+L the Logs view`, () => {
      const { items, a } = build(platform, true);
      byAccelerator(items, "CmdOrCtrl+,").click();
      byAccelerator(items, "CmdOrCtrl+Shift+L").click();
      expect(a.openSettings).toHaveBeenCalledOnce();
      expect(a.openLogsView).toHaveBeenCalledOnce();
    });

    it(`${platform}: reload, quit and the standard edit/window menus are there`, () => {
      const { items } = build(platform, true);
      const roles = items.map((i) => i.role).filter(Boolean);
      expect(roles).toEqual(expect.arrayContaining(["reload", "forceReload", "quit", "editMenu", "windowMenu"]));
    });
  }

  it("offers developer tools only when not packaged", () => {
    expect(build("linux", true).items.some((i) => i.role === "toggleDevTools")).toBe(false);
    expect(build("linux", false).items.some((i) => i.role === "toggleDevTools")).toBe(true);
  });

  it("puts Settings in the app menu on macOS and in File elsewhere, exactly once", () => {
    const mac = buildAppMenuTemplate({ platform: "darwin", appName: "llama-orch", isPackaged: true, localWorkerActive: false, actions: actions() });
    expect(mac[0]?.label).toBe("llama-orch");
    expect(flattenMenu([mac[0] as never]).some((i) => i.id === "settings")).toBe(true);
    const linux = buildAppMenuTemplate({ platform: "linux", appName: "llama-orch", isPackaged: true, localWorkerActive: false, actions: actions() });
    expect(linux[0]?.label).toBe("&File");
    expect(flattenMenu(linux).filter((i) => i.id === "settings")).toHaveLength(1);
  });

  it("toggles the local worker item and wires the file actions", () => {
    const a = actions();
    const stopped = build("linux", true, false, a).items;
    (stopped.find((i) => i.id === "local-worker-toggle") as { click: () => void }).click();
    (stopped.find((i) => i.id === "add-model") as { click: () => void }).click();
    (stopped.find((i) => i.id === "open-models-folder") as { click: () => void }).click();
    (stopped.find((i) => i.id === "reveal-logs") as { click: () => void }).click();
    expect(a.startLocalWorker).toHaveBeenCalledOnce();
    expect(a.addModelFile).toHaveBeenCalledOnce();
    expect(a.openModelsFolder).toHaveBeenCalledOnce();
    expect(a.revealLogFiles).toHaveBeenCalledOnce();
    const running = build("linux", true, true, a).items.find((i) => i.id === "local-worker-toggle") as { label: string; click: () => void };
    expect(running.label).toBe("Stop Local Worker");
    running.click();
    expect(a.stopLocalWorker).toHaveBeenCalledOnce();
  });

  it("has no duplicate accelerators", () => {
    for (const platform of ["linux", "darwin"] as const) {
      const accels = build(platform, false).items.map((i) => i.accelerator).filter(Boolean);
      expect(new Set(accels).size).toBe(accels.length);
    }
  });
});
