import { useSyncExternalStore } from "react";

/** Hash routes (#/nodes/node-a): work from a file:// load in Electron and from the orchestrator alike. */
export type ViewName = "overview" | "nodes" | "pools" | "models" | "queue" | "metrics" | "playground" | "settings" | "logs" | "selftest";

export interface Route {
  view: ViewName;
  /** Second path segment, e.g. a node id or task id. */
  param: string | null;
}

const VIEWS: readonly ViewName[] = ["overview", "nodes", "pools", "models", "queue", "metrics", "playground", "settings", "logs", "selftest"];

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter((p) => p !== "");
  const view = VIEWS.find((v) => v === parts[0]) ?? "overview";
  const param = parts[1] !== undefined ? decodeURIComponent(parts[1]) : null;
  return { view, param };
}

export function href(view: ViewName, param?: string): string {
  return param === undefined ? `#/${view}` : `#/${view}/${encodeURIComponent(param)}`;
}

export function navigate(view: ViewName, param?: string): void {
  window.location.hash = href(view, param);
}

function subscribe(cb: () => void): () => void {
  window.addEventListener("hashchange", cb);
  return () => window.removeEventListener("hashchange", cb);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseHash(hash);
}
