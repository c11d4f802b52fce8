import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { MetricDef } from "../src-shared/metrics/metric-names.js";
import { DeferredCounts } from "./deferred-counts.js";
import { metricCounter } from "./metric-factory.js";

// Heartbeat counts kept in Maps and added to the prom-client counter when it is read: a scrape (and a
// read of the counter's values) sees exactly what inc() per event would have shown, across reads,
// beside direct inc() calls on the same counter.

const DEF = { name: "t_heartbeats_total", type: "counter", help: "test", labelNames: ["node_id", "outcome"] } as const satisfies MetricDef;

function setup() {
  const registry = new Registry();
  const counts = new DeferredCounts("node_id", "outcome");
  const counter = metricCounter(DEF, registry, (c) => counts.flushInto(c));
  return { registry, counts, counter };
}

describe("DeferredCounts", () => {
  it("shows every counted event at the next scrape, per series, and nothing twice", async () => {
    const { registry, counts } = setup();
    for (let i = 0; i < 5; i++) counts.add("n1", "success");
    counts.add("n2", "success");
    counts.add("n1", "error");
    const first = await registry.metrics();
    expect(first).toContain('t_heartbeats_total{node_id="n1",outcome="success"} 5');
    expect(first).toContain('t_heartbeats_total{node_id="n2",outcome="success"} 1');
    expect(first).toContain('t_heartbeats_total{node_id="n1",outcome="error"} 1');
    // Read again with nothing new: the same values, not doubled.
    expect(await registry.metrics()).toBe(first);
    counts.add("n2", "success");
    counts.add("n3", "error");
    const second = await registry.metrics();
    expect(second).toContain('t_heartbeats_total{node_id="n1",outcome="success"} 5');
    expect(second).toContain('t_heartbeats_total{node_id="n2",outcome="success"} 2');
    expect(second).toContain('t_heartbeats_total{node_id="n3",outcome="error"} 1');
  });

  it("adds to direct inc() calls on the same series, and a read of the counter's values flushes too", async () => {
    const { counts, counter } = setup();
    counter.inc({ node_id: "n1", outcome: "unauthorized" });
    counts.add("n1", "unauthorized");
    counts.add("n1", "success");
    const values = (await counter.get()).values.map((v) => [v.labels.node_id, v.labels.outcome, v.value]);
    expect(values).toEqual(expect.arrayContaining([["n1", "unauthorized", 2], ["n1", "success", 1]]));
    expect(values).toHaveLength(2);
  });
});
