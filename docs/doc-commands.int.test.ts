import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ORCHESTRATOR_ENV_KEYS } from "../src-shared/config/orchestrator-config.js";
import { WORKER_ENV_KEYS } from "../src-shared/config/worker-config.js";
import { ANTHROPIC_ROUTES, OLLAMA_ROUTES, OPENAI_ROUTES } from "../src-shared/contract/compat-routes.js";
import { ORCHESTRATOR_ROUTES } from "../src-shared/contract/orchestrator-routes.js";
import { JSON_MEDIA_TYPE, type RouteSpec } from "../src-shared/contract/route-spec.js";

// Every fenced sh/bash/shell block in README.md and docs/**/*.md is either checked here or marked
// illustrative. THE CONVENTION: an illustrative block's first line is the comment
//     # illustrative: <why it is not checked, e.g. "needs a Docker engine">
// (readers see it too). Every other block may contain only commands this test can check:
//   - `npm run <script>` (and `npm test`/`npm start`): the script exists in package.json; flags after `--`
//     appear in the file the script runs; `npm ci`, bare `npm install`; `npm pack -w worker-agent`
//     (the workspace exists); `npm install -g ./llama-orch-worker-<v>.tgz` (<v> is the package's version)
//   - `llama-orch …`, `npx llama-orch …`, `node dist/src-main/headless/cli.js …`, `llama-orch-worker …`:
//     every subcommand and flag is listed by that CLI's `--help` (the built one: `npx tsc -b` first)
//   - `node [node flags] bench/<file>.mjs …`: the file exists and mentions every flag given
//   - `curl …`: the path (after $ORCH, $URL or http(s)://host) is a route of the orchestrator's or the
//     compatible route tables with that method (-X, else PUT for -T, POST for -d, GET), and a JSON body
//     that parses passes the route's body schema
//   - `VAR=value` / `export VAR=value` / `$VAR`: VAR is read by the programs (ORCHESTRATOR_ENV_KEYS,
//     WORKER_ENV_KEYS, the token variables, a `process.env.X` of a bench/*.mjs) or is one of the
//     documented shell placeholders below
//   - `… | jq …` pipes into jq only; `a && b` is checked as a and b. `$(…)` values are not checked.

const ROOT = process.cwd();
const ORCH_HELP = spawnSync(process.execPath, ["dist/src-main/headless/cli.js", "--help"], { encoding: "utf8" }).stdout;
const WORKER_HELP = spawnSync(process.execPath, ["dist/worker-agent/cli.js", "--help"], { encoding: "utf8" }).stdout;
const PACKAGE = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
const WORKER_VERSION = (JSON.parse(readFileSync("worker-agent/package.json", "utf8")) as { version: string }).version;
const ROUTES: readonly RouteSpec[] = [...ORCHESTRATOR_ROUTES, ...OPENAI_ROUTES, ...ANTHROPIC_ROUTES, ...OLLAMA_ROUTES];
/** Shell placeholders the pages define for their examples (not settings the programs read). */
const SHELL_VARS = new Set(["ORCH", "TOKEN", "URL", "POOL", "SHA", "HOME"]);
/** Variables the benchmarks read themselves (`process.env.X` in bench/*.mjs), e.g. an A/B build's path. */
const BENCH_VARS = readdirSync("bench").filter((f) => f.endsWith(".mjs")).flatMap((f) => [...readFileSync(join("bench", f), "utf8").matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string));
const KNOWN_VARS = new Set<string>([...Object.keys(ORCHESTRATOR_ENV_KEYS), ...WORKER_ENV_KEYS.map(([name]) => name), ...BENCH_VARS, "LLORCH_API_TOKEN", "LLORCH_API_TOKENS", "LLORCH_JOIN_TOKEN"]);
const ILLUSTRATIVE = /^# illustrative: \S/;

export interface ShellBlock { readonly file: string; readonly line: number; readonly body: string }

/** The fenced sh/bash/shell blocks of one markdown text. */
export function shellBlocks(file: string, text: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  for (const m of text.matchAll(/^```(?:sh|bash|shell)[ \t]*\n([\s\S]*?)^```/gm)) {
    blocks.push({ file, line: text.slice(0, m.index).split("\n").length, body: m[1] as string });
  }
  return blocks;
}

/** Commands of a block: continuations and open single quotes joined, comments dropped, `&&` split. */
function commandsOf(body: string): string[] {
  const lines: string[] = [];
  let pending = "";
  for (const raw of body.split("\n")) {
    pending = pending === "" ? raw : `${pending} ${raw.trim()}`;
    if (pending.endsWith("\\")) { pending = pending.slice(0, -1); continue; }
    if ((pending.match(/'/g) ?? []).length % 2 === 1) continue;
    lines.push(pending);
    pending = "";
  }
  if (pending !== "") lines.push(pending);
  return lines
    .map((l) => withoutComment(l).trim())
    .filter((l) => l !== "")
    .flatMap((l) => l.split(/\s+&&\s+/));
}

/** The line up to a `#` that starts a word outside quotes. */
function withoutComment(line: string): string {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote !== "") { if (c === quote) quote = ""; continue; }
    if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i);
  }
  return line;
}

/** The parts of a pipeline: split at `|` outside quotes. */
function pipelineOf(command: string): string[] {
  const parts: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote !== "") { if (c === quote) quote = ""; continue; }
    if (c === "'" || c === '"') quote = c;
    else if (c === "|" && command[i + 1] !== "|") { parts.push(command.slice(start, i).trim()); start = i + 1; }
  }
  parts.push(command.slice(start).trim());
  return parts;
}

/** Words of a command with $(…) substitutions and surrounding quotes removed. */
const wordsOf = (command: string): string[] =>
  (command.replace(/\$\([^)]*\)/g, "SUBST").match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, ""));

function routeFor(method: string, path: string): RouteSpec | undefined {
  const bare = path.split("?")[0] as string;
  return ROUTES.find((r) => r.method === method.toLowerCase() && new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(bare));
}

function checkVars(command: string, problems: string[]): void {
  for (const m of command.matchAll(/(?:^|\s)(?:export\s+)?([A-Z][A-Z0-9_]*)=/g)) if (!KNOWN_VARS.has(m[1] as string) && !SHELL_VARS.has(m[1] as string)) problems.push(`unknown variable ${m[1]}`);
  for (const m of command.replace(/'[^']*'/g, "").matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) if (!KNOWN_VARS.has(m[1] as string) && !SHELL_VARS.has(m[1] as string)) problems.push(`unknown variable $${m[1]}`);
}

function checkCli(name: string, help: string, words: readonly string[], problems: string[]): void {
  if (help === "") { problems.push(`${name} --help printed nothing (build first: npx tsc -b)`); return; }
  const positional = words.filter((w, i) => !w.startsWith("-") && !(i > 0 && (words[i - 1] as string).startsWith("--")));
  // Subcommands: words of the help's usage lines (`Usage: … [start|doctor|engine build]`, `llama-orch join-token <create|list>`).
  const usage = help.split("\n").filter((l) => new RegExp(`^\\s*(?:Usage:\\s*)?${name} (?!\\d)`).test(l)).map((l) => l.replace("Usage:", "").replace(/\(.*?\)/g, "")).join(" ");
  const subcommands = new Set((usage.match(/[a-z][\w-]*/g) ?? []).filter((w) => w !== name && w !== "options"));
  for (const sub of positional) if (!subcommands.has(sub)) problems.push(`${name}: subcommand "${sub}" is not in --help's usage`);
  for (const flag of words.filter((w) => w.startsWith("--"))) {
    const bare = flag.split("=")[0] as string;
    if (!new RegExp(`${bare}(?:[\\s=,\\]]|$)`, "m").test(help)) problems.push(`${name}: flag ${bare} is not in --help`);
  }
}

function checkNpm(words: readonly string[], problems: string[]): void {
  const [sub, ...rest] = words;
  if (sub === "ci" || (sub === "install" && rest.length === 0)) return;
  if (sub === "pack" && rest.join(" ") === "-w worker-agent") { if (!existsSync("worker-agent/package.json")) problems.push("no worker-agent workspace"); return; }
  if (sub === "install" && rest[0] === "-g") {
    if (rest[1] !== `./llama-orch-worker-${WORKER_VERSION}.tgz`) problems.push(`npm install -g ${rest[1]}: the packed worker is llama-orch-worker-${WORKER_VERSION}.tgz`);
    return;
  }
  const script = sub === "run" ? rest[0] : sub;
  const after = sub === "run" ? rest.slice(1) : rest;
  if (script === undefined || PACKAGE.scripts[script] === undefined || (sub !== "run" && sub !== "test" && sub !== "start")) { problems.push(`npm ${words.join(" ")}: no such script or not a checked npm command`); return; }
  const flags = after[0] === "--" ? after.slice(1).filter((w) => w.startsWith("--")) : after.length > 0 ? [`(arguments without --: ${after.join(" ")})`] : [];
  const file = /node (\S+\.m?js)/.exec(PACKAGE.scripts[script] as string)?.[1];
  for (const flag of flags) if (file === undefined || !readFileSync(file, "utf8").includes(flag)) problems.push(`npm run ${script}: ${flag} is not read by ${file ?? "its command"}`);
}

function checkCurl(command: string, words: readonly string[], problems: string[]): void {
  const path = /(?:\$ORCH|\$URL|https?:\/\/[^/\s"']+)(\/[^\s"']*)/.exec(command)?.[1];
  if (path === undefined) { problems.push(`curl without a checkable URL: ${command}`); return; }
  const explicit = words[words.indexOf("-X") + 1];
  const method = words.includes("-X") ? (explicit as string) : words.includes("-T") ? "PUT" : words.includes("-d") ? "POST" : "GET";
  const route = routeFor(method, path);
  if (route === undefined) { problems.push(`no route ${method} ${path}`); return; }
  const body = words.includes("-d") ? words[words.indexOf("-d") + 1] : undefined;
  if (body === undefined) return;
  let json: unknown;
  try { json = JSON.parse(body); } catch { return; } // elided bodies (with …) are prose
  const schema = route.body?.content[JSON_MEDIA_TYPE];
  if (schema?.safeParse(json).success !== true) problems.push(`${method} ${path}: body rejected by the route's schema: ${body}`);
}

function checkCommand(command: string, problems: string[]): void {
  const [head, ...pipes] = pipelineOf(command);
  for (const p of pipes) if (!p.startsWith("jq ")) problems.push(`pipe into something other than jq: ${p}`);
  checkVars(head as string, problems);
  const words = wordsOf(head as string).filter((w) => w !== "export");
  while (words.length > 0 && /^[A-Z][A-Z0-9_]*=/.test(words[0] as string)) words.shift();
  const [program, ...rest] = words;
  if (program === undefined) return; // assignments only
  // node's own flags before a bench file (`node --expose-gc bench/x.mjs`) are node's, not the bench's.
  const args = program === "node" && /^--[\w-]+$/.test(rest[0] ?? "") && rest.some((w) => /^bench\//.test(w)) ? rest.slice(rest.findIndex((w) => /^bench\//.test(w))) : rest;
  if (program === "npm") checkNpm(args, problems);
  else if (program === "npx" && args[0] === "llama-orch") checkCli("llama-orch", ORCH_HELP, args.slice(1), problems);
  else if (program === "llama-orch") checkCli("llama-orch", ORCH_HELP, args, problems);
  else if (program === "llama-orch-worker") checkCli("llama-orch-worker", WORKER_HELP, args, problems);
  else if (program === "node" && args[0] === "dist/src-main/headless/cli.js") checkCli("llama-orch", ORCH_HELP, args.slice(1), problems);
  else if (program === "node" && /^bench\/[\w-]+\.mjs$/.test(args[0] ?? "")) {
    if (!existsSync(args[0] as string)) problems.push(`no file ${args[0]}`);
    else for (const flag of args.filter((w) => w.startsWith("--"))) if (!readFileSync(args[0] as string, "utf8").includes(flag.replace(/^\[/, ""))) problems.push(`${args[0]} does not read ${flag}`);
  } else if (program === "curl") checkCurl(head as string, words, problems);
  else problems.push(`not checkable (${program}); mark the block "# illustrative: <why>"`);
}

/** Problems of one block; none for an illustrative one. */
export function blockProblems(block: ShellBlock): string[] {
  if (ILLUSTRATIVE.test(block.body)) return [];
  const problems: string[] = [];
  for (const command of commandsOf(block.body)) checkCommand(command.replace(/\[(--[^\]]*)\]/g, "$1"), problems);
  return problems.map((p) => `${block.file}:${block.line}: ${p}`);
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : []));
}

const ALL = ["README.md", ...markdownFiles("docs")].flatMap((file) => shellBlocks(file, readFileSync(join(ROOT, file), "utf8")));

describe("shell commands in README.md and docs/", () => {
  it("finds the blocks, most of them checked", () => {
    expect(ALL.length).toBeGreaterThanOrEqual(30);
    expect(ALL.filter((b) => !ILLUSTRATIVE.test(b.body)).length).toBeGreaterThan(ALL.length / 2);
    expect(ORCH_HELP).toContain("--bind");
    expect(WORKER_HELP).toContain("--orchestrator-url");
  });

  it("every block is illustrative or passes the checks", () => {
    expect(ALL.flatMap(blockProblems)).toEqual([]);
  });

  it("catches a broken command of each kind", () => {
    const bad = [
      "npm run no-such-script",
      "npm install -g ./llama-orch-worker-9.9.9.tgz",
      "llama-orch --no-such-flag 1",
      "llama-orch-worker frobnicate",
      "LLORCH_NO_SUCH_VAR=1 llama-orch-worker start",
      "curl -s $ORCH/v2/no-such-route",
      "curl -s -X POST $ORCH/v2/auth/keys -d '{\"name\":\"x\",\"scopes\":[\"no-such-scope\"]}'",
      "rm -rf /",
    ];
    for (const command of bad) expect(blockProblems({ file: "x.md", line: 1, body: `${command}\n` }), command).not.toEqual([]);
    expect(blockProblems({ file: "x.md", line: 1, body: "# illustrative: needs a host\nrm -rf /\n" })).toEqual([]);
    expect(blockProblems({ file: "x.md", line: 1, body: "# illustrative:\nrm -rf /\n" })).not.toEqual([]);
  });
});
