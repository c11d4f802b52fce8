import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALL_METRICS } from "./metric-names.js";
import { renderObservabilityDoc } from "./observability-doc.js";

describe("docs/OBSERVABILITY.md", () => {
  it("is what the metric table generates (run `npm run docs:metrics` after changing src-shared/metrics)", () => {
    expect(readFileSync("docs/OBSERVABILITY.md", "utf8")).toBe(renderObservabilityDoc());
  });

  it("documents every metric of the table with its type", () => {
    const doc = renderObservabilityDoc();
    for (const m of ALL_METRICS) expect(doc).toContain(`| \`${m.name}\` | ${m.type} |`);
  });

  it("declares known label values only for labels the metric has", () => {
    for (const m of ALL_METRICS) for (const label of Object.keys(m.knownLabels ?? {})) expect(m.labelNames, m.name).toContain(label);
  });
});
