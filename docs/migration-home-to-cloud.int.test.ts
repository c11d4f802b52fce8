import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ORCHESTRATOR_ENV_KEYS } from "../src-shared/config/orchestrator-config.js";
import { WORKER_ENV_KEYS } from "../src-shared/config/worker-config.js";
import { JSON_MEDIA_TYPE, type RouteSpec } from "../src-shared/contract/route-spec.js";
import { ORCHESTRATOR_ROUTES } from "../src-shared/contract/orchestrator-routes.js";

// docs/MIGRATION_HOME_TO_CLOUD.md is illustrative (its commands change hosts), so instead of running
// them this test checks that each one is real: every flag is in the CLI's --help, every variable is
// one the programs read, every route exists with that method and every JSON body passes the route's
// schema, and every link and deploy/ file it names exists. Run the built CLIs: `npx tsc -b` first.

const DOC = "docs/MIGRATION_HOME_TO_CLOUD.md";
const text = readFileSync(DOC, "utf8");
const help = (entry: string) => spawnSync(process.execPath, [entry, "--help"], { encoding: "utf8" }).stdout;
const ORCH_HELP = help("dist/src-main/headless/cli.js");
const WORKER_HELP = help("dist/worker-agent/cli.js");
/** Shell variables the page itself sets (not settings). */
const SHELL_VARS = new Set(["ORCH"]);
const KNOWN_VARS = new Set<string>([...Object.keys(ORCHESTRATOR_ENV_KEYS), ...WORKER_ENV_KEYS.map(([name]) => name), "LLORCH_API_TOKEN", "LLORCH_API_TOKENS", "LLORCH_JOIN_TOKEN", ...SHELL_VARS]);

/** The sh blocks' commands, continuation lines joined, comments dropped. */
const commands = [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => (m[1] as string).replace(/\\\n\s*/g, " ").split("\n"))
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter((line) => line !== "");

function routeFor(method: string, path: string): RouteSpec | undefined {
  const bare = path.split("?")[0] as string;
  return ORCHESTRATOR_ROUTES.find((r) => r.method === method.toLowerCase() && new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(bare));
}

const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");

describe(DOC, () => {
  it("has commands to check", () => {
    expect(commands.filter((c) => c.includes("llama-orch")).length).toBeGreaterThanOrEqual(2);
    expect(commands.filter((c) => c.startsWith("curl")).length).toBeGreaterThanOrEqual(3);
  });

  it("uses only flags the CLIs accept", () => {
    expect(ORCH_HELP).toContain("--bind");
    expect(WORKER_HELP).toContain("--orchestrator-url");
    for (const command of commands) {
      const words = command.split(/\s+/).filter((w) => !/^[A-Z_]+=/.test(w));
      const program = words[0];
      if (program !== "llama-orch" && program !== "llama-orch-worker") continue;
      if (program === "llama-orch-worker") expect(["start", "doctor"], command).toContain(words[1]);
      for (const flag of words.filter((w) => w.startsWith("--"))) expect(program === "llama-orch" ? ORCH_HELP : WORKER_HELP, `${flag} in: ${command}`).toContain(`${flag} `);
    }
  });

  it("names only environment variables the programs read", () => {
    const assigned = commands.flatMap((c) => [...c.matchAll(/(?:^|\s)(?:export\s+)?([A-Z][A-Z0-9_]+)=/g)].map((m) => m[1] as string));
    const quoted = [...text.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`/g)].map((m) => m[1] as string);
    expect(assigned).toContain("LLORCH_JOIN_TOKEN");
    for (const name of [...assigned, ...quoted]) expect(KNOWN_VARS.has(name), name).toBe(true);
  });

  it("calls only routes that exist, with bodies their schemas accept", () => {
    for (const command of commands.filter((c) => c.startsWith("curl"))) {
      const method = /-X (\w+)/.exec(command)?.[1] ?? "GET";
      const path = /\$ORCH(\/\S+)/.exec(command)?.[1];
      expect(path, command).toBeDefined();
      const route = routeFor(method, path as string);
      expect(route, `${method} ${path}`).toBeDefined();
      const body = /-d '([^']*)'/.exec(command)?.[1];
      const schema = route?.body?.content[JSON_MEDIA_TYPE];
      if (body !== undefined) expect(schema?.safeParse(JSON.parse(body)).success, `${method} ${path} ${body}`).toBe(true);
    }
    for (const m of text.matchAll(/`(GET|POST|PUT|DELETE) (\/[^`\s]+)`/g)) expect(routeFor(m[1] as string, m[2] as string), m[0]).toBeDefined();
  });

  it("links to files and sections that exist", () => {
    for (const m of text.matchAll(/\]\(([^)#\s]+\.md)(?:#([^)]+))?\)/g)) {
      const target = join(dirname(DOC), m[1] as string);
      expect(existsSync(target), target).toBe(true);
      if (m[2] === undefined) continue;
      const headings = [...readFileSync(target, "utf8").matchAll(/^#+ (.+)$/gm)].map((h) => anchor(h[1] as string));
      expect(headings, `${target}#${m[2]}`).toContain(m[2]);
    }
    for (const m of text.matchAll(/`(deploy\/[^`\s]+)`/g)) expect(existsSync(m[1] as string), m[1]).toBe(true);
  });
});
