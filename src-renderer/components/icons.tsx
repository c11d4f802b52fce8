import type { ViewName } from "../lib/router.js";

const PATHS: Record<ViewName | "logo", string> = {
  logo: "M12 2 3 7v10l9 5 9-5V7l-9-5Zm0 2.3 6.8 3.8L12 11.9 5.2 8.1 12 4.3ZM5 9.8l6 3.4v6.6l-6-3.3V9.8Zm8 10V13.2l6-3.4v6.7l-6 3.3Z",
  overview: "M3 13h8V3H3v10Zm0 8h8v-6H3v6Zm10 0h8V11h-8v10Zm0-18v6h8V3h-8Z",
  nodes: "M4 4h16v6H4V4Zm0 10h16v6H4v-6Zm3-8v2h2V6H7Zm0 10v2h2v-2H7Z",
  pools: "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3v12c0 1.7-3.6 3-8 3s-8-1.3-8-3V6Zm2 0c0 .6 2.5 1.5 6 1.5S18 6.6 18 6s-2.5-1.5-6-1.5S6 5.4 6 6Zm0 3v3c0 .6 2.5 1.5 6 1.5s6-.9 6-1.5V9c-1.5.8-3.7 1.2-6 1.2S7.5 9.8 6 9Zm0 6v3c0 .6 2.5 1.5 6 1.5s6-.9 6-1.5v-3c-1.5.8-3.7 1.2-6 1.2S7.5 15.8 6 15Z",
  models: "M12 2 2 7l10 5 10-5-10-5Zm-8 9.2 8 4 8-4V13l-8 4-8-4v-1.8Zm0 4.6 8 4 8-4v1.8l-8 4-8-4v-1.8Z",
  queue: "M3 5h18v2H3V5Zm0 6h12v2H3v-2Zm0 6h8v2H3v-2Zm14-4 5 3.5-5 3.5v-7Z",
  metrics: "M3 3h2v16h16v2H3V3Zm4 12 4-5 3 3 5-7 1.6 1.2-6.4 9-3-3-3.6 4.5L7 15Z",
  playground: "M4 4h16v12H7l-3 3V4Zm3 4v2h10V8H7Zm0 4v2h7v-2H7Z",
  settings: "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8Zm8.9 5.2-1.8-.3-.5 1.3 1.1 1.5-1.8 1.8-1.5-1.1-1.3.5-.3 1.8h-2.6l-.3-1.8-1.3-.5-1.5 1.1-1.8-1.8 1.1-1.5-.5-1.3-1.8-.3v-2.6l1.8-.3.5-1.3-1.1-1.5 1.8-1.8 1.5 1.1 1.3-.5.3-1.8h2.6l.3 1.8 1.3.5 1.5-1.1 1.8 1.8-1.1 1.5.5 1.3 1.8.3v2.6Z",
  logs: "M5 3h10l4 4v14H5V3Zm2 2v14h10V8h-3V5H7Zm2 6h6v2H9v-2Zm0 4h6v2H9v-2Z",
  selftest: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16Zm4.3 4.3L10.5 14l-2.8-2.8-1.4 1.4 4.2 4.2 7.2-7.1-1.4-1.4Z",
};

export function Icon({ name, className }: { name: ViewName | "logo"; className?: string }) {
  return (
    <svg viewBox="0 0 24 24" className={className} aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="currentColor" fillRule="evenodd" />
    </svg>
  );
}
