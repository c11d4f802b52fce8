// Pools given on the command line (`--pool`) or in POOL_MANAGERD_POOLS use a compact
// `key=value,…` form: `id=a,model=tiny.gguf,slots=4,device=cpu,context_size=512`. Several pools in
// the env var are separated by `;`. Values stay raw here; the config schema validates them.

const NUMERIC_KEYS = new Set(["slots", "context_size", "memory_limit_bytes"]);

export type PoolSpecParseResult = { ok: true; pool: Record<string, unknown> } | { ok: false; error: string };

export function parsePoolSpec(spec: string): PoolSpecParseResult {
  const pool: Record<string, unknown> = {};
  for (const part of spec.split(",")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) return { ok: false, error: `"${trimmed}" is not key=value` };
    const key = trimmed.slice(0, eq).trim();
    const raw = trimmed.slice(eq + 1).trim();
    if (key === "device" && /^\d+$/.test(raw)) pool[key] = Number(raw);
    else if (NUMERIC_KEYS.has(key) && /^\d+$/.test(raw)) pool[key] = Number(raw);
    else pool[key] = raw;
  }
  return { ok: true, pool };
}

export function parsePoolSpecList(specs: readonly string[]): { pools: Record<string, unknown>[]; errors: string[] } {
  const pools: Record<string, unknown>[] = [];
  const errors: string[] = [];
  specs.forEach((spec, index) => {
    const parsed = parsePoolSpec(spec);
    if (parsed.ok) pools.push(parsed.pool);
    else errors.push(`pools.${index}: ${parsed.error}`);
  });
  return { pools, errors };
}
