import { useSyncExternalStore } from "react";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "llorch.theme";
const listeners = new Set<() => void>();

export function currentTheme(): ThemeChoice {
  const v = window.localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");

/** The stylesheet has one dark palette, keyed on data-theme; "system" resolves it from the OS. */
function setResolvedTheme(choice: ThemeChoice): void {
  const resolved = choice === "system" ? (darkQuery.matches ? "dark" : "light") : choice;
  document.documentElement.setAttribute("data-theme", resolved);
}

// Follow the OS live while the choice is "system".
darkQuery.addEventListener("change", () => {
  if (currentTheme() === "system") setResolvedTheme("system");
});

export function applyTheme(choice: ThemeChoice): void {
  if (choice === "system") window.localStorage.removeItem(KEY);
  else window.localStorage.setItem(KEY, choice);
  setResolvedTheme(choice);
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
