import { z } from "zod";

// The engine child's spacing of a lone stream's token IPC writes (token-outbox.ts). Not a pool setting:
// it trades a few milliseconds of streaming granularity for CPU per token, measured in docs/PERFORMANCE.md
// ("Per-token cost of the node-llama-cpp engine"); LLORCH_ENGINE_TOKEN_FLUSH_MS overrides it (0: every
// batch step's tokens at once, as before).

/** Milliseconds between two token writes of the engine child, unless overridden. */
export const DEFAULT_TOKEN_FLUSH_MS = 4;

const FlushMsSchema = z.coerce.number().min(0).max(100);

/** The interval from LLORCH_ENGINE_TOKEN_FLUSH_MS; an invalid value is reported and the default kept. */
export function tokenFlushIntervalMs(env: NodeJS.ProcessEnv, warn: (message: string) => void): number {
  const raw = env["LLORCH_ENGINE_TOKEN_FLUSH_MS"];
  if (raw === undefined || raw.trim() === "") return DEFAULT_TOKEN_FLUSH_MS;
  const parsed = FlushMsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  warn(`LLORCH_ENGINE_TOKEN_FLUSH_MS=${raw} is not a number of milliseconds from 0 to 100; using ${DEFAULT_TOKEN_FLUSH_MS}`);
  return DEFAULT_TOKEN_FLUSH_MS;
}
