// The tray icon: cluster status line (nodes online/total from the orchestrator's registry), Open
// dashboard, Run/Stop local worker, Quit. On Linux the tray depends on the desktop environment
// (AppIndicator/StatusNotifier); the app stays fully usable without it.
import { Menu, Tray, nativeImage } from "electron";
import type { LocalWorkerState } from "../../src-shared/ipc/ipc-contract.js";
import { buildTrayMenuTemplate, trayTooltip, type ClusterCounts, type TrayMenuInput } from "./tray-menu.js";

export class ShellTray {
  private readonly tray: Tray;
  private last = "";
  private tooltip = "";

  constructor(
    iconPath: string | undefined,
    private readonly appName: string,
    private readonly actions: TrayMenuInput["actions"],
  ) {
    const image = iconPath ? nativeImage.createFromPath(iconPath) : nativeImage.createEmpty();
    this.tray = new Tray(image.isEmpty() ? image : image.resize({ width: process.platform === "darwin" ? 18 : 22, quality: "best" }));
    if (process.platform !== "linux") this.tray.on("click", () => actions.openDashboard());
  }

  update(counts: ClusterCounts, localWorker: LocalWorkerState): void {
    const key = `${counts.online}/${counts.total}/${localWorker}`;
    if (key === this.last || this.tray.isDestroyed()) return;
    this.last = key;
    this.tooltip = trayTooltip(this.appName, counts);
    this.tray.setToolTip(this.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenuTemplate({ counts, localWorker, actions: this.actions })));
  }

  /** For diagnostics and the Electron E2E spec. */
  info(): { exists: boolean; tooltip: string } {
    return { exists: !this.tray.isDestroyed(), tooltip: this.tooltip };
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }
}

