import { useSyncExternalStore } from "react";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "llorch.theme";
const listeners = new Set<() => void>();

export function currentTheme(): ThemeChoice {
  const v = window.localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === "system") {
    document.documentElement.removeAttribute("data-theme");
    window.localStorage.removeItem(KEY);
  } else {
    document.documentElement.setAttribute("data-theme", choice);
    window.localStorage.setItem(KEY, choice);
  }
  for (const l of listeners) l();
}

export function useTheme(): ThemeChoice {
  return useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    currentTheme,
  );
}
