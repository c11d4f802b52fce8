import { execFile } from "node:child_process";
import type { GpuTelemetry } from "../../src-shared/nodes/host-telemetry.js";
import { NVIDIA_SMI_FIELDS, parseNvidiaSmiCsv } from "./nvidia-smi-parse.js";
import { parseRocmSmiJson, ROCM_SMI_ARGS } from "./rocm-smi-parse.js";

/** One vendor tool: its GPUs now, or "absent" when the binary is not installed (then it is not asked again). */
export type GpuReader = () => Promise<GpuTelemetry[] | "absent">;

function runTool(command: string, args: readonly string[], parse: (stdout: string) => GpuTelemetry[], timeoutMs: number): Promise<GpuTelemetry[] | "absent"> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout) => {
      if (error !== null && (error as NodeJS.ErrnoException).code === "ENOENT") return resolve("absent");
      // A failing driver prints a message and exits non-zero: no GPU rows this time, ask again later.
      resolve(parse(typeof stdout === "string" ? stdout : ""));
    });
  });
}

export const runNvidiaSmi: GpuReader = () => runTool("nvidia-smi", [`--query-gpu=${NVIDIA_SMI_FIELDS.join(",")}`, "--format=csv,noheader,nounits"], parseNvidiaSmiCsv, 3000);

export const runRocmSmi: GpuReader = () => runTool("rocm-smi", ROCM_SMI_ARGS, parseRocmSmiJson, 5000);

/**
 * NVIDIA and AMD tools together (a host may have both). Apple GPUs are not read: macOS exposes their
 * utilisation, temperature and power only through `powermetrics`, which needs root, so a Mac worker
 * reports CPU and unified memory (os.totalmem) and no GPU rows rather than invented ones.
 */
export function vendorGpuReader(readers: readonly GpuReader[] = [runNvidiaSmi, runRocmSmi]): GpuReader {
  const absent = new Set<number>();
  return async () => {
    const results = await Promise.all(readers.map(async (read, i) => (absent.has(i) ? "absent" : read())));
    const gpus: GpuTelemetry[] = [];
    results.forEach((result, i) => {
      if (result === "absent") absent.add(i);
      else gpus.push(...result);
    });
    return absent.size === readers.length ? "absent" : gpus;
  };
}
