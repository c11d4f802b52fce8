import { createStore } from "zustand/vanilla";

/**
 * The dashboard's only timer: a 1 s ticker for displays that age on their own (heartbeat age,
 * "waited so far"). Everything else is pushed by the cluster stream.
 */
export const createNowStore = () => createStore<{ now: number }>()(() => ({ now: Date.now() }));
export type NowStore = ReturnType<typeof createNowStore>;

export function startTicker(store: NowStore): () => void {
  const timer = setInterval(() => store.setState({ now: Date.now() }), 1000);
  return () => clearInterval(timer);
}
