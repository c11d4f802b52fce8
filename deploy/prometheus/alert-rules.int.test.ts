import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

// The alert rules' unit tests (promtool test rules) and their runbook: every alert has a case where
// it fires and one where it does not, and a section of docs/RUNBOOK.md its annotation links to.
const RULES = "deploy/prometheus/llama-orch-alerts.yml";
const RULE_TESTS = "deploy/prometheus/llama-orch-alerts.test.yml";
const PROMTOOL = "/usr/bin/promtool";
const havePromtool = existsSync(PROMTOOL);
if (!havePromtool) console.log(`deploy/prometheus/alert-rules.int.test.ts: promtool runs skipped: ${PROMTOOL} is missing (apt-get install prometheus)`);

const RulesSchema = z.object({ groups: z.array(z.object({ rules: z.array(z.object({ alert: z.string(), expr: z.string(), annotations: z.object({ runbook: z.string() }) })) })) });
const RuleTestsSchema = z.object({
  tests: z.array(z.object({ alert_rule_test: z.array(z.object({ alertname: z.string(), exp_alerts: z.array(z.unknown()) })) })),
});

const alerts = RulesSchema.parse(parse(readFileSync(RULES, "utf8"))).groups.flatMap((g) => g.rules);
const ruleTests = RuleTestsSchema.parse(parse(readFileSync(RULE_TESTS, "utf8"))).tests.flatMap((t) => t.alert_rule_test);

/** GitHub's heading anchor: lower case, spaces to hyphens, punctuation dropped. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");

describe("alert rules", () => {
  it.skipIf(!havePromtool)("promtool test rules passes", () => {
    const result = spawnSync(PROMTOOL, ["test", "rules", RULE_TESTS], { encoding: "utf8" });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("SUCCESS");
  });

  it.each(alerts.map((a) => a.alert))("%s has a firing and a not-firing unit test", (name) => {
    const cases = ruleTests.filter((t) => t.alertname === name);
    expect(cases.some((c) => c.exp_alerts.length > 0), `${name} fires somewhere`).toBe(true);
    expect(cases.some((c) => c.exp_alerts.length === 0), `${name} stays quiet somewhere`).toBe(true);
  });

  it("every alert links to a section of docs/RUNBOOK.md", () => {
    const runbook = readFileSync("docs/RUNBOOK.md", "utf8");
    const anchors = new Set([...runbook.matchAll(/^##+ (.+)$/gm)].map((m) => anchor(m[1] as string)));
    for (const alert of alerts) {
      const [file, fragment] = alert.annotations.runbook.split("#");
      expect(file, alert.alert).toBe("docs/RUNBOOK.md");
      expect(anchors.has(fragment ?? ""), `${alert.alert} → #${fragment}`).toBe(true);
    }
  });
});
