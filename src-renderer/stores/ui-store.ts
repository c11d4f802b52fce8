import { createStore } from "zustand/vanilla";
import type { ApiError } from "../api/errors.js";

export interface Toast {
  id: number;
  kind: "error" | "success" | "info";
  title: string;
  message: string;
  /** Stable error code (errors only), shown and copyable. */
  code?: string;
}

export interface UiState {
  toasts: Toast[];
  push(toast: Omit<Toast, "id">): number;
  dismiss(id: number): void;
}

let nextId = 1;
const MAX_TOASTS = 5;

export const createUiStore = () =>
  createStore<UiState>()((set, get) => ({
    toasts: [],
    push(toast) {
      const id = nextId++;
      set({ toasts: [...get().toasts, { ...toast, id }].slice(-MAX_TOASTS) });
      return id;
    },
    dismiss(id) {
      set({ toasts: get().toasts.filter((t) => t.id !== id) });
    },
  }));

export type UiStore = ReturnType<typeof createUiStore>;

export function errorToast(err: ApiError, title: string): Omit<Toast, "id"> {
  return { kind: "error", title, message: err.extra.hint ? `${err.message} (${err.extra.hint})` : err.message, code: err.code };
}
