import { createStore } from "zustand/vanilla";
import type { Settings } from "../../src-shared/dashboard/settings.js";

export interface MetaState {
  settings: Settings | null;
  publicUrl: string;
  version: string;
  reset(meta: { settings: Settings; publicUrl: string; version: string }): void;
  applySettings(settings: Settings): void;
}

export const createMetaStore = () =>
  createStore<MetaState>()((set) => ({
    settings: null,
    publicUrl: "",
    version: "",
    reset(meta) {
      set(meta);
    },
    applySettings(settings) {
      set({ settings });
    },
  }));

export type MetaStore = ReturnType<typeof createMetaStore>;
