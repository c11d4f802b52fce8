import { z } from "zod";
import type { GpuTelemetry } from "../../src-shared/nodes/host-telemetry.js";

/** Asked of rocm-smi: utilisation, VRAM, temperatures, power (current and cap), product name; JSON out. */
export const ROCM_SMI_ARGS = ["--showuse", "--showmeminfo", "vram", "--showtemp", "--showpower", "--showmaxpower", "--showproductname", "--json"] as const;

// rocm-smi renames its keys between releases and card families; each list is tried in order.
const UTILIZATION_KEYS = ["GPU use (%)"];
const VRAM_TOTAL_KEYS = ["VRAM Total Memory (B)"];
const VRAM_USED_KEYS = ["VRAM Total Used Memory (B)"];
// Edge is what consumer tools show; MI300-class parts have no edge sensor, junction is the next best.
const TEMPERATURE_KEYS = ["Temperature (Sensor edge) (C)", "Temperature (Sensor junction) (C)"];
// ROCm ≤ 5.x and MI200: average; ROCm 6 on MI300 and APUs: current socket power.
const POWER_KEYS = ["Average Graphics Package Power (W)", "Current Socket Graphics Package Power (W)", "Power (W)"];
const POWER_LIMIT_KEYS = ["Max Graphics Package Power (W)"];
const NAME_KEYS = ["Card Series", "Card series", "Device Name", "Card Model", "Card model"];
const UUID_KEYS = ["Unique ID", "Unique ID (hex)", "GUID"];

const CardSchema = z.record(z.string(), z.unknown());
const OutputSchema = z.record(z.string(), z.unknown());

/** "N/A", "N/A (Secondary die)", "" and non-numbers → null; "3%" and "19.0" → numbers. */
function num(card: Record<string, unknown>, keys: readonly string[]): number | null {
  for (const key of keys) {
    const raw = card[key];
    if (typeof raw !== "string" && typeof raw !== "number") continue;
    const n = Number(String(raw).trim().replace(/%$/, ""));
    if (String(raw).trim() !== "" && Number.isFinite(n)) return n;
  }
  return null;
}

function text(card: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const key of keys) {
    const raw = card[key];
    if (typeof raw === "string" && raw.trim() !== "" && !/^n\/a/i.test(raw.trim())) return raw.trim().slice(0, 128);
  }
  return null;
}

/** The JSON object in stdout; rocm-smi may print warning lines before it. */
function jsonObject(stdout: string): Record<string, unknown> | null {
  const start = stdout.indexOf("{");
  const end = stdout.lastIndexOf("}");
  if (start < 0 || end < start) return null;
  try {
    const parsed = OutputSchema.safeParse(JSON.parse(stdout.slice(start, end + 1)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Parses `rocm-smi … --json`. One entry per `cardN` key (the `system` object and anything else is
 * skipped), ordered by N; a host without the amdgpu driver yields []. Values rocm-smi reports as
 * "N/A" (a secondary die's power, a missing sensor) are null, never 0.
 */
export function parseRocmSmiJson(stdout: string): GpuTelemetry[] {
  const root = jsonObject(stdout);
  if (root === null) return [];
  const cards = Object.entries(root)
    .map(([key, value]) => ({ index: /^card(\d+)$/.exec(key)?.[1], card: CardSchema.safeParse(value) }))
    .filter((c): c is { index: string; card: { success: true; data: Record<string, unknown> } } => c.index !== undefined && c.card.success)
    .sort((a, b) => Number(a.index) - Number(b.index));
  return cards.map(({ index, card: { data: card } }) => {
    const util = num(card, UTILIZATION_KEYS);
    const total = num(card, VRAM_TOTAL_KEYS);
    const used = num(card, VRAM_USED_KEYS);
    const temperature = num(card, TEMPERATURE_KEYS);
    const power = num(card, POWER_KEYS);
    const limit = num(card, POWER_LIMIT_KEYS);
    return {
      gpu: `card${index}`,
      name: text(card, NAME_KEYS) ?? "AMD GPU",
      uuid: text(card, UUID_KEYS),
      utilization_ratio: util === null ? null : Math.min(1, Math.max(0, util / 100)),
      memory_total_bytes: total === null || total < 0 ? null : Math.round(total),
      memory_used_bytes: used === null || used < 0 ? null : Math.round(used),
      temperature_celsius: temperature === null || temperature < -50 || temperature > 200 ? null : temperature,
      power_watts: power === null || power < 0 ? null : power,
      // A secondary die reports a cap of 0: its package's cap is on the primary.
      power_limit_watts: limit === null || limit <= 0 ? null : limit,
    };
  });
}
