import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { MetricDef } from "../src-shared/metrics/metric-names.js";

// prom-client metrics built from the one table in src-shared/metrics, so names, help, labels and
// buckets cannot drift from docs/OBSERVABILITY.md, the dashboards and the alert rules.

type Labels = Record<string, string>;

/** Every combination of the definition's known label values (labels without known values are left out). */
export function knownLabelSets(def: MetricDef): Labels[] {
  const known = def.knownLabels;
  if (known === undefined) return [];
  // A series needs a value for every label; metrics with a dynamic label start when it is known.
  if (!def.labelNames.every((l) => known[l] !== undefined)) return [];
  let sets: Labels[] = [{}];
  for (const label of def.labelNames) sets = sets.flatMap((set) => (known[label] ?? []).map((value) => ({ ...set, [label]: value })));
  return sets;
}

export function metricCounter(def: MetricDef, registry: Registry, collect?: (c: Counter) => void): Counter {
  const c = new Counter({ name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry], ...(collect ? { collect() { collect(this); } } : {}) });
  // Known label values start at 0, so rate() and alerts see the series before the first event.
  for (const labels of knownLabelSets(def)) c.inc(labels, 0);
  return c;
}

export function metricGauge(def: MetricDef, registry: Registry, collect?: (g: Gauge) => void): Gauge {
  const g = new Gauge({ name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [registry], ...(collect ? { collect() { collect(this); } } : {}) });
  for (const labels of knownLabelSets(def)) g.set(labels, 0);
  return g;
}

export function metricHistogram(def: MetricDef, registry: Registry): Histogram {
  const h = new Histogram({ name: def.name, help: def.help, labelNames: [...def.labelNames], buckets: [...(def.buckets ?? [])], registers: [registry] });
  for (const labels of knownLabelSets(def)) h.zero(labels);
  return h;
}
