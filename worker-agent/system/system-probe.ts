import { execFile } from "node:child_process";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { GpuInfo } from "../../src-shared/nodes/gpu-capabilities.js";
import { SystemProbeResultSchema, type SystemProbeResult } from "./system-probe-ipc.js";

const PROBE_HOST_PATH = fileURLToPath(new URL("./probe-host.js", import.meta.url));
const ProbeMessageSchema = z.union([z.object({ ok: z.literal(true), result: SystemProbeResultSchema }), z.object({ ok: z.literal(false), error: z.string() })]);

export type ProbeOutcome = { ok: true; result: SystemProbeResult } | { ok: false; error: string };

/** Runs the probe child (bounded by timeoutMs); never throws. */
export function probeLlamaBackend(timeoutMs = 30_000): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const child = fork(PROBE_HOST_PATH, [], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    let stderr = "";
    let settled = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill("SIGKILL");
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `backend probe timed out after ${timeoutMs} ms` }), timeoutMs);
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.on("message", (raw: unknown) => {
      const parsed = ProbeMessageSchema.safeParse(raw);
      finish(parsed.success ? parsed.data : { ok: false, error: `invalid probe answer: ${parsed.error.message}` });
    });
    child.on("exit", (code, signal) => finish({ ok: false, error: `backend probe ${signal !== null ? `killed by ${signal}` : `exited with ${code}`}: ${stderr.trim().slice(-500)}` }));
    child.on("error", (error) => finish({ ok: false, error: error.message }));
  });
}

const NvidiaRowSchema = z.tuple([z.string(), z.string(), z.string(), z.string()]);

/** Per-GPU memory from nvidia-smi when it exists (node-llama-cpp only reports totals); [] otherwise. */
export function queryNvidiaSmi(timeoutMs = 3000): Promise<GpuInfo[]> {
  return new Promise((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"],
      { timeout: timeoutMs },
      (error, stdout) => {
        if (error !== null) return resolve([]);
        const gpus: GpuInfo[] = [];
        for (const line of stdout.split("\n")) {
          const row = NvidiaRowSchema.safeParse(line.split(",").map((s) => s.trim()));
          if (!row.success) continue;
          const [index, name, totalMib, freeMib] = row.data;
          gpus.push({ device_id: Number(index), name, vram_total_bytes: Number(totalMib) * 1024 * 1024, vram_free_bytes: Number(freeMib) * 1024 * 1024 });
        }
        resolve(gpus.filter((g) => Number.isFinite(g.device_id) && Number.isFinite(g.vram_total_bytes)));
      },
    );
  });
}

/** GPUs for registration: nvidia-smi's per-device numbers, else node-llama-cpp's names with the total split evenly. */
export async function detectGpus(probe: ProbeOutcome): Promise<GpuInfo[]> {
  if (!probe.ok || probe.result.backend === "cpu") return [];
  const smi = probe.result.backend === "cuda" ? await queryNvidiaSmi() : [];
  if (smi.length > 0) return smi;
  const names = probe.result.gpu_names;
  const count = Math.max(names.length, 1);
  return names.map((name, device_id) => ({
    device_id,
    name,
    vram_total_bytes: Math.floor(probe.result.vram_total_bytes / count),
    vram_free_bytes: Math.floor(probe.result.vram_free_bytes / count),
  }));
}
