// `llama-orch selftest`: runs the orchestrator's self-test (POST /v2/selftest) against the running
// orchestrator, shows its progress, prints the report as a table (or JSON) and exports it as JSON and
// Markdown. Ctrl-C cancels the run, which cleans up after itself before the command exits.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { OrchestratorConfig } from "../../src-shared/config/orchestrator-config.js";
import { ErrorEnvelopeSchema } from "../../src-shared/errors/error-envelope.js";
import { selftestMarkdown, selftestPassed, selftestRows } from "../../src-shared/selftest/selftest-markdown.js";
import { SelftestRunSchema, type SelftestRequestInput, type SelftestRun, type SelftestSectionName } from "../../src-shared/selftest/selftest.js";
import { credential, endpoint, unreachableReason } from "./orchestrator-endpoint.js";

export const SELFTEST_USAGE = `Usage: llama-orch selftest [options]

Measures this cluster: router overhead (direct to a worker vs through the orchestrator, p50/p99),
queue fairness under a burst, and, only for the node you name, the time to detect a hung worker.

  --stop-node <id>       consent to make this node's agent hang for --hang-ms, to time failure
                         detection (without it, detection is skipped and no node is touched)
  --hang-ms <ms>         how long the named node hangs (1000-10000, default 4000)
  --samples <n>          completions per path for the overhead (4-200, default 20)
  --fairness-tasks <n>   tasks per priority lane in the fairness burst (2-20, default 6)
  --sections <list>      comma-separated: overhead,fairness,detection (default: all)
  --json                 print the run as JSON instead of a table
  --out <file.json>      also write the run as JSON there, and as Markdown beside it (.md)
  --url <base url>       the orchestrator to call (default: from its bind address)
Exit status: 0 passed, 1 a section failed or the queue broke its order, 2 usage, 3 refused.
The token is LLORCH_API_TOKEN, else the generated <data dir>/api-token (an admin credential).`;

type Out = (text: string) => void;

function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} takes a whole number, got "${value}"`);
  return Number(value);
}

/** The report as an aligned text table. */
export function selftestTable(run: SelftestRun): string {
  const rows = run.report ? selftestRows(run.report) : [];
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0), c === 0 ? 7 : 7));
  const line = (r: readonly string[]) => `${(r[0] ?? "").padEnd(widths[0] ?? 0)}  ${(r[1] ?? "").padEnd(widths[1] ?? 0)}  ${r[2] ?? ""}`;
  return [line(["section", "measure", "value"]), ...rows.map(line), "", `self-test ${run.id}: ${run.state}, ${selftestPassed(run) ? "passed" : "NOT passed"}`].join("\n");
}

export async function runSelftestCommand(argv: readonly string[], config: OrchestratorConfig, env: NodeJS.ProcessEnv, out: Out, err: Out, interrupt: (onInterrupt: () => void) => void = (f) => process.once("SIGINT", f)): Promise<number> {
  let body: SelftestRequestInput;
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { "stop-node": { type: "string" }, "hang-ms": { type: "string" }, samples: { type: "string" }, "fairness-tasks": { type: "string" }, sections: { type: "string" }, json: { type: "boolean", default: false }, out: { type: "string" }, url: { type: "string" } }, strict: true, allowPositionals: false }));
    const hang = intFlag(values["hang-ms"], "hang-ms");
    const samples = intFlag(values.samples, "samples");
    const perLane = intFlag(values["fairness-tasks"], "fairness-tasks");
    body = {
      ...(values["stop-node"] !== undefined ? { stop_node: values["stop-node"] } : {}),
      ...(hang !== undefined ? { hang_ms: hang } : {}),
      ...(samples !== undefined ? { samples } : {}),
      ...(perLane !== undefined ? { fairness_tasks: perLane } : {}),
      ...(values.sections !== undefined ? { sections: values.sections.split(",").map((s) => s.trim()) as SelftestSectionName[] } : {}),
    };
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n\n${SELFTEST_USAGE}`);
    return 2;
  }
  const token = credential(config, env);
  if (token === undefined) {
    err("llama-orch selftest: no credential: set LLORCH_API_TOKEN (an admin token) or run where the generated <data dir>/api-token is");
    return 2;
  }
  const { base, fetch } = endpoint(config, values.url);
  const call = async (method: string, path: string, json?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(json !== undefined ? { body: JSON.stringify(json) } : {}), signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    return { status: res.status, json: text === "" ? null : (JSON.parse(text) as unknown) };
  };
  let run: SelftestRun;
  try {
    const started = await call("POST", "/v2/selftest", body);
    if (started.status !== 202) {
      const envelope = ErrorEnvelopeSchema.safeParse(started.json);
      err(`llama-orch selftest: HTTP ${started.status}${envelope.success ? ` ${envelope.data.code}: ${envelope.data.message}` : ""}`);
      return started.status === 400 ? 2 : 3;
    }
    run = SelftestRunSchema.parse(started.json);
    let canceling = false;
    interrupt(() => {
      canceling = true;
      err("llama-orch selftest: canceling (its tasks are canceled, a hung node is waited for)…");
      void call("POST", `/v2/selftest/${run.id}/cancel`).catch(() => undefined);
    });
    let shown = "";
    while (run.state === "running") {
      await new Promise((r) => setTimeout(r, canceling ? 250 : 500));
      run = SelftestRunSchema.parse((await call("GET", `/v2/selftest/${run.id}`)).json);
      const progress = `[${run.done}/${run.total}] ${run.phase}: ${run.message}`;
      if (progress !== shown && run.state === "running") err(progress);
      shown = progress;
    }
  } catch (e) {
    err(`llama-orch selftest: cannot reach the orchestrator at ${base}: ${unreachableReason(e)}`);
    return 1;
  }
  out(values.json ? JSON.stringify(run, null, 2) : selftestTable(run));
  if (values.out !== undefined) {
    const md = values.out.replace(/\.json$/i, "") + ".md";
    writeFileSync(values.out, `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(md, selftestMarkdown(run));
    err(`llama-orch selftest: report written to ${values.out} and ${md}`);
  }
  return selftestPassed(run) ? 0 : 1;
}
