import { describe, expect, it } from "vitest";
import { ALL_METRICS, CLOUD_METRICS, TASK_METRICS } from "./metric-names.js";

describe("metric names", () => {
  it("keeps the seven cloud metrics and their labels exactly", () => {
    expect(Object.values(CLOUD_METRICS).map((m) => `${m.name}{${m.labelNames.join(",")}}`)).toEqual([
      "orchd_node_registrations_total{outcome}",
      "orchd_node_heartbeats_total{node_id,outcome}",
      "orchd_node_deregistrations_total{outcome}",
      "orchd_pool_health_checks_total{pool_id,outcome}",
      "orchd_nodes_online{}",
      "orchd_pools_available{pool_id}",
      "orchd_pool_health_check_duration_ms{pool_id}",
    ]);
  });

  it("includes the spec's core task metrics", () => {
    const names = new Set<string>(Object.values(TASK_METRICS).map((m) => m.name));
    for (const name of ["queue_depth", "tasks_enqueued_total", "tasks_started_total", "tasks_canceled_total", "tasks_rejected_total", "latency_first_token_ms", "latency_decode_ms", "tokens_in_total", "tokens_out_total", "placement_decisions_total"]) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it("follows Prometheus naming: unique, snake_case, counters end in _total, no unbounded labels", () => {
    const names = ALL_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of ALL_METRICS) {
      expect(m.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(m.name.endsWith("_total"), m.name).toBe(m.type === "counter");
      expect(m.help.length).toBeGreaterThan(5);
      for (const label of m.labelNames) expect(["task_id", "session_id", "prompt", "token"]).not.toContain(label);
      if (m.type === "histogram") expect(m.buckets?.length, m.name).toBeGreaterThan(3);
    }
  });
});
