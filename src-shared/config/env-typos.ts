// A misspelt environment variable (ORCHD_ADMISION_CAPACITY) was silently ignored: the program ran on the
// default the operator meant to change. Variables under a prefix a program owns are checked against the
// names it reads: one close to a known name (a typo, or `_SECS` for `_MS`) stops the start naming it; one
// close to none (a setting of the original Rust llama-orch in an old env file, ORCHD_SSE_MICROBATCH) is
// named in a warning and the program starts: refusing it would lock out an operator mid-migration.

/** Unknown names under `prefixes` in `env`, each with the closest known name (edit distance ≤ 3), if any. */
export function unknownEnvNames(env: Readonly<Record<string, string | undefined>>, prefixes: readonly string[], known: ReadonlySet<string>): { name: string; near: string | undefined }[] {
  const unknown: { name: string; near: string | undefined }[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!prefixes.some((p) => name.startsWith(p)) || known.has(name)) continue;
    unknown.push({ name, near: closest(name, known) });
  }
  return unknown;
}

/** The unknown names that are likely typos: each has a known name within edit distance 3. */
export function envTypos(env: Readonly<Record<string, string | undefined>>, prefixes: readonly string[], known: ReadonlySet<string>): { name: string; near: string }[] {
  return unknownEnvNames(env, prefixes, known).filter((u): u is { name: string; near: string } => u.near !== undefined);
}

/** The warning lines for unknown names close to no known one: started anyway, each named. */
export function foreignEnvWarnings(env: Readonly<Record<string, string | undefined>>, prefixes: readonly string[], known: ReadonlySet<string>, reference: string): string[] {
  return unknownEnvNames(env, prefixes, known)
    .filter((u) => u.near === undefined)
    .map((u) => `environment variable ${u.name} is not a setting of this version and has no effect (${reference} lists them)`);
}

/** The operator's line for one unknown variable. */
export function unknownEnvMessage(u: { name: string; near: string | undefined }, reference: string): string {
  return `environment variable ${u.name} is not a setting${u.near !== undefined ? ` (did you mean ${u.near}?)` : ""}; ${reference} lists them (unset it to start)`;
}

function closest(name: string, known: ReadonlySet<string>): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d <= 3 && (best === undefined || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/** Levenshtein distance (short names only: env variables and config keys). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length] ?? 0;
}
