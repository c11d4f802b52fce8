import { useEffect, useMemo, useState, type ReactNode } from "react";
import { useStore } from "zustand";
import { clusterStream, stores, useNow } from "./app-context.js";
import { Icon } from "./components/icons.js";
import { Toasts } from "./components/Toasts.js";
import { Badge, Button, CodeBlock, Dialog, Loading } from "./components/ui.js";
import { href, navigate, useRoute, type ViewName } from "./lib/router.js";
import { HEALTH, clusterHealth } from "./lib/status.js";
import { applyTheme, useTheme, type ThemeChoice } from "./lib/theme.js";
import { formatDuration } from "./lib/format.js";
import s from "./app.module.css";
import { LogsView } from "./views/LogsView.js";
import { MetricsView } from "./views/MetricsView.js";
import { ModelsView } from "./views/ModelsView.js";
import { NodeDetailView } from "./views/NodeDetailView.js";
import { NodesView } from "./views/NodesView.js";
import { OverviewView } from "./views/OverviewView.js";
import { PlaygroundView } from "./views/PlaygroundView.js";
import { PoolsView } from "./views/PoolsView.js";
import { QueueView } from "./views/QueueView.js";
import { SettingsView } from "./views/SettingsView.js";
import { SelftestView } from "./views/SelftestView.js";

const NAV: { view: ViewName; label: string; key: string }[] = [
  { view: "overview", label: "Overview", key: "1" },
  { view: "nodes", label: "Nodes", key: "2" },
  { view: "pools", label: "Pools", key: "3" },
  { view: "models", label: "Models", key: "4" },
  { view: "queue", label: "Queue", key: "5" },
  { view: "playground", label: "Playground", key: "6" },
  { view: "settings", label: "Settings", key: "7" },
  { view: "logs", label: "Logs", key: "8" },
  { view: "metrics", label: "Metrics", key: "9" },
  { view: "selftest", label: "Self-test", key: "0" },
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (el === null) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

function ConnectionBadge() {
  const conn = useStore(stores.connection);
  const now = useNow();
  if (conn.status === "live") return <Badge tone="ok" dot title="Receiving live updates from the orchestrator">Live</Badge>;
  if (conn.status === "connecting") return <Badge tone="info" dot>Connecting…</Badge>;
  if (conn.status === "unauthorized") return <Badge tone="bad" dot>Logged out</Badge>;
  const wait = conn.retryAtMs === null ? 0 : Math.max(0, conn.retryAtMs - now);
  return (
    <Badge tone="warn" dot title={conn.lastError ?? undefined}>
      Reconnecting{wait > 0 ? ` in ${Math.ceil(wait / 1000)} s` : "…"}
    </Badge>
  );
}

function HealthBadge() {
  const byId = useStore(stores.nodes, (st) => st.byId);
  const loaded = useStore(stores.nodes, (st) => st.loaded);
  const nodes = useMemo(() => Object.values(byId), [byId]);
  if (!loaded) return null;
  const health = HEALTH[clusterHealth(nodes)];
  const online = nodes.filter((n) => n.status === "Online").length;
  return (
    <Badge tone={health.tone} dot>
      <span data-testid="cluster-health">{health.words}</span>
      {nodes.length > 0 && <span>· {online}/{nodes.length} nodes online</span>}
    </Badge>
  );
}

const THEME_LABEL: Record<ThemeChoice, string> = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };
const NEXT_THEME: Record<ThemeChoice, ThemeChoice> = { system: "light", light: "dark", dark: "system" };

function ThemeButton() {
  const theme = useTheme();
  return (
    <Button size="small" variant="ghost" onClick={() => applyTheme(NEXT_THEME[theme])} title="Follows the OS unless you pick one">
      {THEME_LABEL[theme]}
    </Button>
  );
}

function ReconnectBanner() {
  const conn = useStore(stores.connection);
  const loaded = useStore(stores.nodes, (st) => st.loaded);
  const now = useNow();
  if (conn.status !== "reconnecting" || !loaded) return null;
  const wait = conn.retryAtMs === null ? 0 : Math.max(0, conn.retryAtMs - now);
  return (
    <div className={s.banner} role="status">
      <strong>Connection lost.</strong>
      <span className={s.bannerText}>
        Showing the last known state. Reconnecting {wait > 0 ? `in ${formatDuration(wait)}` : "now"} (attempt {conn.attempt}){conn.lastError ? ` — ${conn.lastError}` : ""}.
      </span>
      <Button size="small" onClick={() => clusterStream.retryNow()}>
        Retry now
      </Button>
    </div>
  );
}

function LoginScreen() {
  const origin = window.location.origin;
  return (
    <div className={s.center}>
      <main className={s.loginCard} aria-labelledby="login-title">
        <h1 id="login-title">Log in to this orchestrator</h1>
        <p>
          Open the login link the orchestrator printed when it started — it looks like <code>{origin}/login?code=…</code>. Each link works once and expires after
          15 minutes; opening it signs this browser in.
        </p>
        <p>
          Need a new link? On the orchestrator machine run <code>npm start</code> again, or ask it for one with the API token:
        </p>
        <CodeBlock code={`curl -X POST -H "Authorization: Bearer $LLORCH_API_TOKEN" ${origin}/v2/auth/login-codes`} label="Ask for a new login link" wrap />
        <div className={s.loginActions}>
          <Button variant="primary" onClick={() => clusterStream.retryNow()}>
            I have logged in — retry
          </Button>
        </div>
      </main>
    </div>
  );
}

function ShortcutSheet({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Keyboard shortcuts" footer={<Button onClick={onClose}>Close</Button>}>
      <div className={s.shortcuts}>
        {NAV.map((n) => (
          <FragmentRow key={n.view} k={<kbd>{n.key}</kbd>} label={`Go to ${n.label}`} />
        ))}
        <FragmentRow k={<><kbd>Ctrl</kbd> <kbd>,</kbd></>} label="Settings" />
        <FragmentRow k={<kbd>/</kbd>} label="Focus the filter or prompt of the current view" />
        <FragmentRow k={<><kbd>Ctrl</kbd> <kbd>Enter</kbd></>} label="Send in the Playground" />
        <FragmentRow k={<kbd>Esc</kbd>} label="Close a dialog; stop a Playground reply" />
        <FragmentRow k={<kbd>?</kbd>} label="This sheet" />
      </div>
    </Dialog>
  );
}

function FragmentRow({ k, label }: { k: ReactNode; label: string }) {
  return (
    <>
      <span>{k}</span>
      <span>{label}</span>
    </>
  );
}

function CurrentView({ view, param }: { view: ViewName; param: string | null }) {
  switch (view) {
    case "overview":
      return <OverviewView />;
    case "nodes":
      return param !== null ? <NodeDetailView nodeId={param} /> : <NodesView />;
    case "pools":
      return <PoolsView />;
    case "models":
      return <ModelsView />;
    case "queue":
      return <QueueView focusTaskId={param} />;
    case "playground":
      return <PlaygroundView />;
    case "settings":
      return <SettingsView />;
    case "logs":
      return <LogsView />;
    case "metrics":
      return <MetricsView nodeId={param} />;
    case "selftest":
      return <SelftestView />;
  }
}

function QueueCount() {
  const depth = useStore(stores.stats, (st) => st.latest?.queue_depth ?? 0);
  if (depth === 0) return null;
  return (
    <span className={s.navCount} aria-label={`${depth} queued`}>
      {depth}
    </span>
  );
}

export function App() {
  const route = useRoute();
  const status = useStore(stores.connection, (st) => st.status);
  const loaded = useStore(stores.nodes, (st) => st.loaded);
  const version = useStore(stores.meta, (st) => st.version);
  const [sheet, setSheet] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === ",") {
        e.preventDefault();
        navigate("settings");
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector("dialog[open]")) return;
      const nav = NAV.find((n) => n.key === e.key);
      if (nav) {
        e.preventDefault();
        navigate(nav.view);
      } else if (e.key === "?") {
        e.preventDefault();
        setSheet(true);
      } else if (e.key === "/") {
        const target = document.querySelector<HTMLElement>("[data-shortcut-focus]");
        if (target) {
          e.preventDefault();
          target.focus();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const title = route.view === "nodes" && route.param !== null ? `Node ${route.param}` : route.view === "metrics" && route.param !== null ? `Metrics · ${route.param}` : (NAV.find((n) => n.view === route.view)?.label ?? "");
  useEffect(() => {
    document.title = `${title} · llama-orch`;
  }, [title]);

  if (status === "unauthorized") {
    return (
      <>
        <LoginScreen />
        <Toasts />
      </>
    );
  }

  return (
    <div className={s.shell}>
      <a className={s.skip} href="#main-content">
        Skip to content
      </a>
      <aside className={s.sidebar}>
        <div className={s.brand}>
          <Icon name="logo" className={s.logo} />
          llama-orch
        </div>
        <nav className={s.nav} aria-label="Views">
          {NAV.map((n) => (
            <a key={n.view} className={s.navLink} href={href(n.view)} aria-current={route.view === n.view ? "page" : undefined} aria-keyshortcuts={n.key}>
              <Icon name={n.view} className={s.navIcon} />
              {n.label}
              {n.view === "queue" ? <QueueCount /> : null}
            </a>
          ))}
        </nav>
        <div className={s.sideFooter}>
          <div className={s.sideFooterRow}>
            <span>{version ? `orchestrator v${version}` : " "}</span>
            <Button size="small" variant="ghost" onClick={() => setSheet(true)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
              <kbd>?</kbd>
            </Button>
          </div>
          <ThemeButton />
        </div>
      </aside>
      <header className={s.header}>
        <h1 className={s.title}>{title}</h1>
        <div className={s.headerRight}>
          <HealthBadge />
          <ConnectionBadge />
        </div>
      </header>
      <main className={s.main} id="main-content" tabIndex={-1}>
        <ReconnectBanner />
        <div className={s.content}>{loaded ? <CurrentView view={route.view} param={route.param} /> : <Loading what="cluster state" />}</div>
      </main>
      <ShortcutSheet open={sheet} onClose={() => setSheet(false)} />
      <Toasts />
    </div>
  );
}
