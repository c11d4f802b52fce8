import { useStore } from "zustand";
import type { StoreApi } from "zustand/vanilla";
import { ApiClient } from "./api/client.js";
import { ClusterStream } from "./api/cluster-stream.js";
import type { ApiError } from "./api/errors.js";
import { createClusterStores } from "./stores/cluster.js";
import { createNowStore } from "./stores/now-store.js";
import { createUiStore, errorToast } from "./stores/ui-store.js";

/** The dashboard's singletons: one set of stores, one API client, one cluster stream. */
export const stores = createClusterStores();
export const ui = createUiStore();
export const clock = createNowStore();

export const api = new ApiClient(undefined, (err) => {
  stores.connection.getState().set({ status: "unauthorized", lastError: `${err.code}: ${err.message}` });
});

export const clusterStream = new ClusterStream(stores);

/** Shows an error toast with its code. */
export function reportError(title: string, err: ApiError): void {
  if (err.isAuth || err.code === "ABORTED") return;
  ui.getState().push(errorToast(err, title));
}

export function reportSuccess(title: string, message = ""): void {
  ui.getState().push({ kind: "success", title, message });
}

export function useSelect<S, T>(store: StoreApi<S>, selector: (state: S) => T): T {
  return useStore(store, selector);
}

/** Re-renders every second (the ticker) and returns the real current time, so ages are exact whenever a frame re-renders too. */
export const useNow = (): number => {
  const tick = useStore(clock, (s) => s.now);
  return Math.max(tick, Date.now());
};
