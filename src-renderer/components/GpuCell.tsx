import type { NodeInfo } from "../../src-shared/nodes/node-info.js";
import { clip, formatBytes } from "../lib/format.js";
import v from "../views/views.module.css";
import { Clip, Meter } from "./ui.js";

/** First GPU with its VRAM bar (used of total), or the CPU backend for GPU-less nodes. */
export function GpuCell({ node }: { node: NodeInfo }) {
  const gpus = node.capabilities.gpus;
  const first = gpus[0];
  if (first === undefined) {
    const cores = node.capabilities.cpu_cores;
    return (
      <span className={v.faint}>
        CPU{cores !== undefined ? ` · ${cores} cores` : ""}
        {node.capabilities.ram_total_bytes ? ` · ${formatBytes(node.capabilities.ram_total_bytes)} RAM` : ""}
      </span>
    );
  }
  const used = first.vram_free_bytes !== undefined ? first.vram_total_bytes - first.vram_free_bytes : null;
  return (
    <div className={v.gpu}>
      <span className={v.gpuName}>
        <Clip text={first.name} max={60} />
        {gpus.length > 1 ? ` +${gpus.length - 1}` : ""}
      </span>
      <span className={v.gpuVram} title={used !== null ? `${formatBytes(used)} of ${formatBytes(first.vram_total_bytes)} VRAM used` : undefined}>
        {used !== null ? `${formatBytes(used).split(" ")[0]}/${formatBytes(first.vram_total_bytes)}` : formatBytes(first.vram_total_bytes)}
      </span>
      <div className={v.gpuBar}>
        <Meter value={used ?? 0} max={first.vram_total_bytes} label={`VRAM used on ${clip(first.name, 60)}`} />
      </div>
    </div>
  );
}
