import type { Registry } from "prom-client";

export type Reading = Map<string, number>;

/** Histograms and summaries name each value (`…_bucket`, `…_sum`); counters and gauges do not. */
interface NamedValue {
  value: number;
  labels: Record<string, string | number | undefined>;
  metricName?: string;
}

async function valuesOf(registry: Registry, name: string): Promise<NamedValue[]> {
  const metric = registry.getSingleMetric(name);
  return metric === undefined ? [] : ((await metric.get()).values as NamedValue[]);
}

/** A metric's current values keyed by one label (summed over the others), e.g. tokens_out_total by pool_id. */
export async function readByLabel(registry: Registry, name: string, label: string, metricName = name): Promise<Reading> {
  const out: Reading = new Map();
  for (const v of await valuesOf(registry, name)) {
    if ((v.metricName ?? name) !== metricName) continue;
    const key = String(v.labels[label] ?? "");
    out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

/** Histogram bucket counts (cumulative, by upper bound) per value of `label`. */
export async function readBuckets(registry: Registry, name: string, label: string): Promise<Map<string, Map<number, number>>> {
  const out = new Map<string, Map<number, number>>();
  for (const v of await valuesOf(registry, name)) {
    if (v.metricName !== `${name}_bucket`) continue;
    const key = String(v.labels[label] ?? "");
    const le = v.labels.le === "+Inf" ? Infinity : Number(v.labels.le);
    const buckets = out.get(key) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    out.set(key, buckets);
  }
  return out;
}

/** Prometheus' histogram_quantile over bucket increments; null without observations. */
export function quantile(q: number, increments: Map<number, number>): number | null {
  const bounds = [...increments.keys()].sort((a, b) => a - b);
  const total = increments.get(Infinity) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const bound of bounds) {
    const count = increments.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Infinity) return prevBound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / Math.max(count - prevCount, 1e-9);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}
