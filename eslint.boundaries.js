// Import boundaries between the runtimes of DESIGN.md §1, as ESLint `no-restricted-imports` rules.
// Relative paths are matched by the folder names they cross, so `../../worker-agent/x.js` is caught
// wherever it is written from.
import { builtinModules } from "node:module";

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith("_"));
const nodeBuiltinPaths = [...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`)].map((name) => ({
  name,
  message: "This runtime has no Node.js built-ins (DESIGN.md §1).",
}));

const electronPackage = { name: "electron", message: "Only src-main/electron may import electron (DESIGN.md §1)." };

/** A folder of ours, matched in a relative or absolute import specifier. */
function folder(name, message) {
  return { regex: `(^|/)${name.replace(/[/.]/g, "\\$&")}(/|$)`, message };
}

const ours = {
  srcMain: folder("src-main", "This runtime may not import src-main (DESIGN.md §1)."),
  worker: folder("worker-agent", "Start the worker agent through its CLI as a child process; never import it (DESIGN.md §1)."),
  renderer: folder("src-renderer", "Only the renderer bundle contains src-renderer (DESIGN.md §1)."),
  orchestrator: folder("orchestrator", "The worker agent never imports the orchestrator (DESIGN.md §1)."),
  electronFolder: folder("electron", "Only the Electron shell is under src-main/electron (DESIGN.md §1)."),
  headless: folder("headless", "The orchestrator library never imports its entry points (DESIGN.md §1)."),
  scripts: folder("scripts", "Product code does not import dev scripts."),
  testSupport: folder("test-support", "Product code does not import test support."),
  srcNode: folder("src-node", "Only the Node servers (orchestrator, worker agent) use the server layer in src-node (DESIGN.md §1)."),
};

function restrict(files, { paths = [], patterns = [] }) {
  return {
    files,
    ignores: ["**/*.test.ts", "**/*.test.tsx"],
    rules: { "no-restricted-imports": ["error", { paths, patterns }] },
  };
}

// Inside the orchestrator a task walks down through three rooms and back by callbacks, never by an
// import that runs back up: http/ and dashboard/ (edges) → tasks/ → scheduling/ → workers/ → the
// lower parts (registry, placement, catalog, db, metrics, logging, auth). Domain code never imports
// the HTTP layer or the composition root (docs/ARCHITECTURE.md).
const ORCHESTRATOR_EDGES = ["http", "dashboard", "orchestrator-context", "create-orchestrator", "index"];
const orchestratorRoomRules = {
  // The application facades the HTTP handlers call (one per area); only the edges import them.
  app: [...ORCHESTRATOR_EDGES],
  tasks: [...ORCHESTRATOR_EDGES, "app"],
  scheduling: [...ORCHESTRATOR_EDGES, "app", "tasks"],
  workers: [...ORCHESTRATOR_EDGES, "app", "tasks", "scheduling"],
  probes: [...ORCHESTRATOR_EDGES, "app", "tasks", "scheduling"],
  // Staging drives model copies through workers/ (the one client factory); nothing below imports it.
  staging: [...ORCHESTRATOR_EDGES, "app", "tasks", "scheduling"],
  // The self-test probes call this orchestrator over HTTP and workers through workers/; only app/ imports them.
  selftest: [...ORCHESTRATOR_EDGES, "app", "tasks", "scheduling"],
  ...Object.fromEntries(["registry", "placement", "catalog", "db", "auth", "metrics", "logging", "config", "settings", "meta"].map((room) => [room, [...ORCHESTRATOR_EDGES, "app", "tasks", "scheduling", "workers", "probes", "staging", "selftest"]])),
};

/** A sibling of the file's own orchestrator room (`../name/…` or `../name.js`). */
function orchestratorSibling(name, room) {
  return { regex: `^\\.\\./${name}(/|\\.js$)`, message: `src-main/orchestrator/${room} may not import ${name}: imports run down the task path (http → tasks → scheduling → workers → lower parts) and never back up.` };
}

export const importBoundaries = [
  // src-shared: runtime-neutral, imports nothing of ours, no node:, no DOM, no electron.
  restrict(["src-shared/**/*.ts"], {
    paths: [...nodeBuiltinPaths, electronPackage, { name: "react", message: "src-shared is runtime-neutral." }],
    patterns: [ours.srcMain, ours.worker, ours.renderer, ours.scripts, ours.testSupport, ours.srcNode],
  }),
  // src-node, the server layer both Node servers share: src-shared, node built-ins and npm packages only.
  restrict(["src-node/**/*.ts"], {
    paths: [electronPackage],
    patterns: [ours.srcMain, ours.worker, ours.renderer, ours.scripts, ours.testSupport],
  }),
  // orchestrator library: src-shared and src-node only; never electron, the worker agent, the renderer or its own entries.
  restrict(["src-main/orchestrator/**/*.ts"], {
    paths: [electronPackage],
    patterns: [ours.worker, ours.renderer, ours.electronFolder, ours.headless, ours.scripts, ours.testSupport],
  }),
  // The orchestrator's rooms: the orchestrator's own rules plus no import back up the task path.
  ...Object.entries(orchestratorRoomRules).map(([room, forbidden]) =>
    restrict([`src-main/orchestrator/${room}/**/*.ts`], {
      paths: [electronPackage],
      patterns: [ours.worker, ours.renderer, ours.electronFolder, ours.headless, ours.scripts, ours.testSupport, ...forbidden.map((name) => orchestratorSibling(name, room))],
    }),
  ),
  // local worker supervisor (used by headless and Electron): starts the worker through its CLI, found through the package.
  restrict(["src-main/local-worker/**/*.ts"], {
    paths: [electronPackage],
    patterns: [ours.worker, ours.renderer, ours.electronFolder, ours.headless, ours.scripts, ours.testSupport],
  }),
  // headless entry: orchestrator + src-shared; starts the worker through its CLI, never imports it.
  restrict(["src-main/headless/**/*.ts"], {
    paths: [electronPackage],
    patterns: [ours.worker, ours.renderer, ours.electronFolder, ours.scripts, ours.testSupport],
  }),
  // Electron shell: the only place electron is allowed; never imports the worker agent.
  restrict(["src-main/electron/**/*.ts", "src-main/electron/**/*.cts"], {
    patterns: [ours.worker, ours.renderer, ours.headless, ours.scripts, ours.testSupport],
  }),
  // worker agent: src-shared and src-node only.
  restrict(["worker-agent/**/*.ts"], {
    paths: [electronPackage],
    patterns: [ours.srcMain, ours.renderer, ours.scripts, ours.testSupport],
  }),
  // renderer: src-shared only; talks to the orchestrator over HTTP/SSE, no node:, no electron.
  restrict(["src-renderer/**/*.ts", "src-renderer/**/*.tsx"], {
    paths: [...nodeBuiltinPaths, electronPackage],
    patterns: [ours.srcMain, ours.worker, ours.scripts, ours.testSupport, ours.srcNode],
  }),
];
