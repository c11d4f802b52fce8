import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const GENERATED_TOKEN_FILE = "api-token";

/**
 * The token a loopback orchestrator generates on first run when none is configured: 64 hex chars in
 * `<data_dir>/api-token`, mode 0600, reused on later runs. Returns the token and its path.
 */
export function loadOrCreateGeneratedToken(dataDir: string): { token: string; path: string; created: boolean } {
  const path = join(dataDir, GENERATED_TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (token.length >= 32) {
      chmodSync(path, 0o600);
      return { token, path, created: false };
    }
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("hex");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, path, created: true };
}
