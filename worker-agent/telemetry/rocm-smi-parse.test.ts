import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GpuTelemetrySchema, type GpuTelemetry } from "../../src-shared/nodes/host-telemetry.js";
import { vendorGpuReader } from "./gpu-readers.js";
import { parseNvidiaSmiCsv } from "./nvidia-smi-parse.js";
import { parseRocmSmiJson } from "./rocm-smi-parse.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const AMD_FIXTURES = ["rocm-5.7-rx7900xtx.json", "rocm-6.0-mi250-secondary-die.json", "rocm-6.2-mi300x-socket-power.json", "rocm-6.1-igpu-680m-warning.txt"];

describe("rocm-smi --json parsing (recorded key variants)", () => {
  it("ROCm 5.7, RX 7900 XTX: average power, lower-case 'Card series', edge temperature", () => {
    expect(parseRocmSmiJson(fixture("rocm-5.7-rx7900xtx.json"))).toEqual([
      {
        gpu: "card0", name: "Radeon RX 7900 XTX", uuid: null, utilization_ratio: 0.03, memory_total_bytes: 25753026560, memory_used_bytes: 794341376,
        temperature_celsius: 49, power_watts: 19, power_limit_watts: 327,
      },
    ]);
  });

  it("ROCm 6.0, MI250: the secondary die's 'N/A (Secondary die)' power and 0 W cap are unknown (null), not 0", () => {
    const [primary, secondary] = parseRocmSmiJson(fixture("rocm-6.0-mi250-secondary-die.json"));
    expect(primary).toMatchObject({ gpu: "card0", name: "AMD INSTINCT MI250 (MCM) OAM AC MBA", power_watts: 237, power_limit_watts: 560, utilization_ratio: 0.98 });
    expect(secondary).toMatchObject({ gpu: "card1", power_watts: null, power_limit_watts: null, utilization_ratio: 0.97, temperature_celsius: 39 });
  });

  it("ROCm 6.2, MI300X: current socket power, no edge sensor (junction used), the 'system' object skipped", () => {
    const gpus = parseRocmSmiJson(fixture("rocm-6.2-mi300x-socket-power.json"));
    expect(gpus.map((g) => g.gpu)).toEqual(["card0"]);
    expect(gpus[0]).toMatchObject({ name: "AMD Instinct MI300X", power_watts: 142, temperature_celsius: 44, memory_total_bytes: 205822885888, utilization_ratio: 0 });
  });

  it("ROCm 6.1 APU: a warning line before the JSON, no cap reported", () => {
    const [gpu] = parseRocmSmiJson(fixture("rocm-6.1-igpu-680m-warning.txt"));
    expect(gpu).toMatchObject({ name: "Rembrandt [Radeon 680M]", power_watts: 9.215, power_limit_watts: null, temperature_celsius: 47, memory_used_bytes: 482263040 });
  });

  it("no driver, empty or broken output: no GPU", () => {
    expect(parseRocmSmiJson(fixture("rocm-no-driver.txt"))).toEqual([]);
    expect(parseRocmSmiJson("")).toEqual([]);
    expect(parseRocmSmiJson('{"card0": {"GPU use (%)": "1"')).toEqual([]);
    expect(parseRocmSmiJson('{"card0": "not an object", "system": {}}')).toEqual([]);
  });

  it("cards are ordered by number, not by key order (card10 after card2)", () => {
    const out = JSON.stringify({ card10: { "GPU use (%)": "10" }, card2: { "GPU use (%)": "2" } });
    expect(parseRocmSmiJson(out).map((g) => [g.gpu, g.utilization_ratio, g.name])).toEqual([["card2", 0.02, "AMD GPU"], ["card10", 0.1, "AMD GPU"]]);
  });

  it("every parsed card satisfies the heartbeat schema", () => {
    for (const name of AMD_FIXTURES) {
      const gpus = parseRocmSmiJson(fixture(name));
      expect(gpus.length, name).toBeGreaterThan(0);
      for (const gpu of gpus) expect(GpuTelemetrySchema.safeParse(gpu).success, name).toBe(true);
    }
  });
});

describe("vendor GPU reader", () => {
  it("joins NVIDIA and AMD rows and stops asking a tool once it is absent", async () => {
    const asked = { nvidia: 0, amd: 0 };
    const reader = vendorGpuReader([
      async () => {
        asked.nvidia++;
        return "absent";
      },
      async (): Promise<GpuTelemetry[]> => {
        asked.amd++;
        return parseRocmSmiJson(fixture("rocm-6.0-mi250-secondary-die.json"));
      },
    ]);
    expect(await reader()).toHaveLength(2);
    expect(await reader()).toHaveLength(2);
    expect(asked).toEqual({ nvidia: 1, amd: 2 });
  });

  it("both vendors on one host are listed together; absent only when every tool is", async () => {
    const both = vendorGpuReader([async () => parseNvidiaSmiCsv(fixture("driver-470-tesla-t4.csv")), async () => parseRocmSmiJson(fixture("rocm-5.7-rx7900xtx.json"))]);
    const rows = await both();
    expect(rows === "absent" ? rows : rows.map((g) => g.gpu)).toEqual(["0", "card0"]);
    const none = vendorGpuReader([async () => "absent", async () => "absent"]);
    expect(await none()).toBe("absent");
  });
});
