import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NODE_STATUS_TRANSITIONS, type NodeStatusCause } from "../src-main/orchestrator/registry/node-status.js";
import { ANTHROPIC_ROUTES, OLLAMA_ROUTES, OPENAI_ROUTES } from "../src-shared/contract/compat-routes.js";
import { ORCHESTRATOR_ROUTES } from "../src-shared/contract/orchestrator-routes.js";
import type { RouteSpec } from "../src-shared/contract/route-spec.js";
import { WORKER_ROUTES } from "../src-shared/contract/worker-routes.js";
import type { NodeStatus } from "../src-shared/nodes/node-info.js";

// The Mermaid diagrams of docs/ARCHITECTURE.md against the code. No Mermaid parser is installed
// (neither `mermaid` nor `@mermaid-js/parser` is in node_modules), so this is a structural check:
// each block is a known diagram type whose lines have that type's shape (balanced blocks, messages
// only between declared participants), every file or folder a diagram names exists, every
// `METHOD /path` is a route of the orchestrator's, the compatible or the worker's route table, and
// the state diagram's statuses and transitions are exactly the registry's (NODE_STATUS_TRANSITIONS).

const DOC = "docs/ARCHITECTURE.md";
const ROUTES: readonly RouteSpec[] = [...ORCHESTRATOR_ROUTES, ...OPENAI_ROUTES, ...ANTHROPIC_ROUTES, ...OLLAMA_ROUTES, ...WORKER_ROUTES];
const TYPES = ["flowchart", "sequenceDiagram", "stateDiagram-v2"] as const;
const CODE_PATH = /(?:src-main|src-node|src-shared|src-renderer|worker-agent|deploy|scripts|test-support)\/[\w./-]*/g;

const diagramsOf = (text: string): string[] => [...text.matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);

function routeExists(method: string, path: string): boolean {
  return ROUTES.some((r) => r.method === method.toLowerCase() && r.path === path);
}

/** Block keywords that open (loop/alt/opt/subgraph/…) and close (end) must balance. */
function balance(lines: readonly string[], openers: RegExp, problems: string[]): void {
  let depth = 0;
  for (const line of lines) {
    if (openers.test(line)) depth++;
    else if (line === "end" && --depth < 0) problems.push("'end' without an open block");
  }
  if (depth > 0) problems.push(`${depth} block(s) not closed with 'end'`);
}

function sequenceProblems(lines: readonly string[], problems: string[]): void {
  const declared = new Set<string>();
  for (const line of lines) {
    const participant = /^participant (\w+)(?: as .+)?$/.exec(line);
    if (participant !== null) { declared.add(participant[1] as string); continue; }
    const message = /^(\w+)(-->>|->>|--x|-x|-->|->)(\w+): .+$/.exec(line);
    if (message !== null) {
      for (const p of [message[1], message[3]] as string[]) if (!declared.has(p)) problems.push(`participant ${p} not declared: ${line}`);
      continue;
    }
    if (!/^(?:loop|alt|opt|par) .+$|^else(?: .+)?$|^end$|^Note (?:over|left of|right of) \w+(?:,\w+)?: .+$/.test(line)) problems.push(`not a sequence diagram line: ${line}`);
  }
  balance(lines, /^(?:loop|alt|opt|par) /, problems);
}

function flowchartProblems(lines: readonly string[], problems: string[]): void {
  for (const line of lines) {
    if ((line.match(/"/g) ?? []).length % 2 === 1) problems.push(`unbalanced quotes: ${line}`);
    if (/^subgraph \w+(?:\[".*"\])?$|^end$/.test(line)) continue;
    // A node, or an edge between nodes: id["label"] / id[("label")] and --> / -.-> / --- with an optional |"label"|.
    const node = String.raw`\w+(?:\[\(?"[^"]*"\)?\])?`;
    if (!new RegExp(`^${node}(?:\\s+(?:-->|-\\.->|---)(?:\\|"[^"]*"\\|)?\\s+${node})*$`).test(line)) problems.push(`not a flowchart node or edge: ${line}`);
  }
  balance(lines, /^subgraph /, problems);
}

function stateProblems(lines: readonly string[], problems: string[]): void {
  const drawn = new Set<string>();
  for (const line of lines) {
    const t = /^(\[\*\]|\w+) --> (\w+): (.+)$/.exec(line);
    if (t === null) { problems.push(`not a state transition: ${line}`); continue; }
    for (const cause of (t[3] as string).split(" / ")) {
      const from = t[1] as string;
      if (from === "[*]") { if (cause !== "register" || t[2] !== "Registering") problems.push(`a node starts by registering: ${line}`); continue; }
      const to = (NODE_STATUS_TRANSITIONS[from as NodeStatus] as Partial<Record<NodeStatusCause, NodeStatus>> | undefined)?.[cause as NodeStatusCause];
      if (to !== t[2]) problems.push(`the registry has no ${from} --${cause}--> ${t[2]}: ${line}`);
      drawn.add(`${from} ${cause}`);
    }
  }
  // Every status-changing transition of the registry is drawn.
  for (const [from, causes] of Object.entries(NODE_STATUS_TRANSITIONS)) {
    for (const [cause, to] of Object.entries(causes)) if (to !== from && !drawn.has(`${from} ${cause}`)) problems.push(`transition ${from} --${cause}--> ${to} is not drawn`);
  }
}

/** Problems of one Mermaid block; none when it is sound. */
export function diagramProblems(source: string): string[] {
  const lines = source.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("%%"));
  const [header, ...body] = lines;
  const type = TYPES.find((t) => header === t || header?.startsWith(`${t} `));
  const problems: string[] = [];
  if (type === undefined) return [`unknown diagram type: ${header}`];
  if (type === "flowchart" && !/^flowchart (?:LR|RL|TB|TD|BT)$/.test(header as string)) problems.push(`flowchart without a direction: ${header}`);
  if (type === "sequenceDiagram") sequenceProblems(body, problems);
  if (type === "flowchart") flowchartProblems(body, problems);
  if (type === "stateDiagram-v2") stateProblems(body, problems);
  for (const m of source.matchAll(CODE_PATH)) {
    const path = (m[0] as string).replace(/[.]$/, "");
    if (!existsSync(path)) problems.push(`no such file or folder: ${path}`);
  }
  for (const m of source.matchAll(/\b(GET|POST|PUT|DELETE) (\/[\w/{}.-]*)/g)) if (!routeExists(m[1] as string, m[2] as string)) problems.push(`no route ${m[1]} ${m[2]}`);
  return problems;
}

const diagrams = diagramsOf(readFileSync(DOC, "utf8"));

describe(`${DOC} Mermaid diagrams`, () => {
  it("has both profiles and the register, heartbeat, dispatch and staging flows", () => {
    const all = diagrams.join("\n");
    expect(diagrams.filter((d) => d.startsWith("flowchart")).length).toBeGreaterThanOrEqual(2);
    expect(diagrams.filter((d) => d.startsWith("sequenceDiagram")).length).toBeGreaterThanOrEqual(3);
    for (const step of ["POST /v2/nodes/join", "POST /v2/nodes/register", "POST /v2/nodes/{id}/heartbeat", "GET /v2/watch", "POST /v1/chat/completions", "POST /v2/pools/{id}/infer", "POST /v2/catalog/models/{id}/stage", "POST /v2/models/{sha256}/pull", "GET /v2/models/{sha256}/content", "POST /v2/pools/{id}/reload", "GET /metrics", "local-worker-supervisor.ts", "OTLP", "Grafana", "Suspect", "Offline"]) {
      expect(all, step).toContain(step);
    }
  });

  it("every diagram is sound against the code", () => {
    expect(diagrams.map(diagramProblems)).toEqual(diagrams.map(() => []));
  });

  it("catches broken diagrams", () => {
    expect(diagramProblems("pieChart\n  a: 1\n")).not.toEqual([]);
    expect(diagramProblems("sequenceDiagram\n  participant A as x\n  A->>B: hi\n")).not.toEqual([]);
    expect(diagramProblems("sequenceDiagram\n  participant A as x\n  loop forever\n  A->>A: hi\n")).not.toEqual([]);
    expect(diagramProblems("sequenceDiagram\n  participant A as src-main/orchestrator/no-such-file.ts\n  A->>A: hi\n")).not.toEqual([]);
    expect(diagramProblems("sequenceDiagram\n  participant A as x\n  A->>A: POST /v2/nodes/no-such-route\n")).not.toEqual([]);
    expect(diagramProblems("flowchart LR\n  a[\"x\"] -->|\"y\"| b\n  subgraph s\n")).not.toEqual([]);
    expect(diagramProblems("stateDiagram-v2\n  [*] --> Registering: register\n  Offline --> Online: heartbeat\n")).not.toEqual([]);
    expect(diagramProblems("sequenceDiagram\n  participant A as src-main/orchestrator/registry/node-registry.ts\n  A->>A: POST /v2/nodes/register\n")).toEqual([]);
  });
});
