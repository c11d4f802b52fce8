import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GpuTelemetrySchema } from "../../src-shared/nodes/host-telemetry.js";
import { parseNvidiaSmiCsv } from "./nvidia-smi-parse.js";
import { TelemetrySampler } from "./telemetry-sampler.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const MIB = 1024 * 1024;

describe("nvidia-smi parsing (recorded output shapes)", () => {
  it("driver 470, one idle Tesla T4", () => {
    const [gpu, ...rest] = parseNvidiaSmiCsv(fixture("driver-470-tesla-t4.csv"));
    expect(rest).toEqual([]);
    expect(gpu).toEqual({
      gpu: "0", name: "Tesla T4", uuid: "GPU-5c7a2b9e-0d1c-6f3e-8a21-2f4c9d1e7b30", utilization_ratio: 0,
      memory_total_bytes: 15109 * MIB, memory_used_bytes: 0, temperature_celsius: 34, power_watts: 9.76, power_limit_watts: 70,
    });
  });

  it("driver 535, two RTX 4090, one busy", () => {
    const gpus = parseNvidiaSmiCsv(fixture("driver-535-two-rtx-4090.csv"));
    expect(gpus.map((g) => [g.gpu, g.utilization_ratio, g.memory_used_bytes, g.temperature_celsius, g.power_watts])).toEqual([
      ["0", 0.97, 20112 * MIB, 71, 412.35],
      ["1", 0.03, 1203 * MIB, 44, 31.07],
    ]);
  });

  it("driver 550, A100 with MIG enabled: utilisation is unknown (null), memory and power still read", () => {
    const [mig, plain] = parseNvidiaSmiCsv(fixture("driver-550-a100-mig.csv"));
    expect(mig?.utilization_ratio).toBeNull();
    expect(mig?.memory_used_bytes).toBe(12288 * MIB);
    expect(mig?.power_watts).toBe(61.52);
    expect(plain?.utilization_ratio).toBe(0);
  });

  it("driver 390, GeForce: [Not Supported] fields are null", () => {
    const [gpu] = parseNvidiaSmiCsv(fixture("driver-390-geforce-not-supported.csv"));
    expect(gpu).toMatchObject({ name: "GeForce GTX 1060 6GB", utilization_ratio: null, power_watts: null, power_limit_watts: null, temperature_celsius: 45 });
  });

  it("no driver: the error message yields no GPU", () => {
    expect(parseNvidiaSmiCsv(fixture("no-driver.txt"))).toEqual([]);
    expect(parseNvidiaSmiCsv("")).toEqual([]);
  });

  it("every parsed row satisfies the heartbeat schema", () => {
    for (const name of ["driver-470-tesla-t4.csv", "driver-535-two-rtx-4090.csv", "driver-550-a100-mig.csv", "driver-390-geforce-not-supported.csv"]) {
      for (const gpu of parseNvidiaSmiCsv(fixture(name))) expect(GpuTelemetrySchema.safeParse(gpu).success, name).toBe(true);
    }
  });
});

describe("telemetry sampler", () => {
  it("samples this machine's CPU and RAM for real and stops asking for nvidia-smi once it is absent", async () => {
    let asked = 0;
    const sampler = new TelemetrySampler(async () => {
      asked++;
      return "absent";
    });
    await new Promise((r) => setTimeout(r, 50));
    const first = await sampler.sample();
    await sampler.sample();
    expect(asked).toBe(1);
    expect(first.cpus).toBeGreaterThan(0);
    expect(first.memory_total_bytes).toBeGreaterThan(first.memory_available_bytes);
    expect(first.memory_available_bytes).toBeGreaterThan(0);
    expect(first.cpu_utilization_ratio).toBeGreaterThanOrEqual(0);
    expect(first.cpu_utilization_ratio).toBeLessThanOrEqual(1);
    expect(first.gpus).toEqual([]);
  });

  it("keeps the GPUs of the last successful query", async () => {
    const sampler = new TelemetrySampler(async () => parseNvidiaSmiCsv(fixture("driver-535-two-rtx-4090.csv")));
    expect((await sampler.sample()).gpus).toHaveLength(2);
  });
});
