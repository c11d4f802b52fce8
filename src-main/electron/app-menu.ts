// The application menu as a pure template builder (GitHub Desktop's pattern): role-based standard
// menus plus the app's own items with shortcuts. menu.ts hands it to Menu.buildFromTemplate.
import type { MenuItemConstructorOptions } from "electron";

export interface AppMenuActions {
  /** CmdOrCtrl+, — show the dashboard's Settings view. */
  openSettings(): void;
  /** CmdOrCtrl+Shift+L — show the dashboard's Logs view. */
  openLogsView(): void;
  revealLogFiles(): void;
  openModelsFolder(): void;
  addModelFile(): void;
  startLocalWorker(): void;
  stopLocalWorker(): void;
}

export interface AppMenuInput {
  platform: NodeJS.Platform;
  appName: string;
  /** Developer tools only in unpackaged (development) runs. */
  isPackaged: boolean;
  localWorkerActive: boolean;
  actions: AppMenuActions;
}

export function buildAppMenuTemplate(input: AppMenuInput): MenuItemConstructorOptions[] {
  const { actions, platform } = input;
  const mac = platform === "darwin";
  const settingsItem: MenuItemConstructorOptions = { id: "settings", label: mac ? "Settings…" : "&Settings…", accelerator: "CmdOrCtrl+,", click: () => actions.openSettings() };
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: input.appName,
      submenu: [{ role: "about" }, { type: "separator" }, settingsItem, { type: "separator" }, { role: "services" }, { type: "separator" }, { role: "hide" }, { role: "hideOthers" }, { role: "unhide" }, { type: "separator" }, { role: "quit" }],
    });
  }
  template.push({
    label: mac ? "File" : "&File",
    submenu: [
      { id: "add-model", label: "Add Model File…", accelerator: "CmdOrCtrl+O", click: () => actions.addModelFile() },
      { id: "open-models-folder", label: "Open Models Folder", click: () => actions.openModelsFolder() },
      { type: "separator" },
      input.localWorkerActive
        ? { id: "local-worker-toggle", label: "Stop Local Worker", click: () => actions.stopLocalWorker() }
        : { id: "local-worker-toggle", label: "Run Local Worker on This Machine", click: () => actions.startLocalWorker() },
      ...(mac ? [] : [{ type: "separator" } as const, settingsItem, { type: "separator" } as const, { role: "quit" } as const]),
    ],
  });
  template.push({ role: "editMenu" });
  const viewItems: MenuItemConstructorOptions[] = [
    { id: "logs-view", label: "Logs", accelerator: "CmdOrCtrl+Shift+L", click: () => actions.openLogsView() },
    { type: "separator" },
    { role: "reload" },
    { role: "forceReload" },
  ];
  if (!input.isPackaged) viewItems.push({ role: "toggleDevTools" });
  viewItems.push({ type: "separator" }, { role: "resetZoom" }, { role: "zoomIn" }, { role: "zoomOut" }, { type: "separator" }, { role: "togglefullscreen" });
  template.push({ label: mac ? "View" : "&View", submenu: viewItems });
  template.push({ role: "windowMenu" });
  template.push({
    role: "help",
    submenu: [
      { id: "reveal-logs", label: "Reveal Log Files", click: () => actions.revealLogFiles() },
    ],
  });
  return template;
}

/** Every item of a template, depth first (tests, and finding items by id). */
export function flattenMenu(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flattenMenu(item.submenu) : [])]);
}
