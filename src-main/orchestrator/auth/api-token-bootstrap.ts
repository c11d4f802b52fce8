import type { Logger } from "pino";
import type { OrchestratorConfig } from "../../../src-shared/config/orchestrator-config.js";
import { fp6 } from "./bearer.js";
import { loadOrCreateGeneratedToken } from "./generated-token.js";
import { TokenSet } from "./token-set.js";

/** The token API clients use: the configured one, or the generated one and where it is stored. */
export interface ApiToken {
  token: string;
  source: "config" | "generated";
  path: string | null;
  fp6: string;
}

/** Thrown when the configuration is unsafe to start with (e.g. non-loopback bind without a token). */
export class StartupRefused extends Error {}

export interface BootstrappedTokens {
  tokens: TokenSet;
  apiToken: ApiToken;
  /** The token sources that are not API keys (configured, generated), by fingerprint. */
  builtin: { fp6: string; source: "config" | "generated" }[];
}

/**
 * The tokens the orchestrator accepts at start: every configured token, else (on a loopback bind
 * only) one generated into the data dir with mode 0600. A non-loopback bind without a configured
 * token is refused: a generated token on a network would be a secret nobody was told about.
 */
export function bootstrapApiTokens(config: OrchestratorConfig, loopback: boolean, logger: Logger): BootstrappedTokens {
  const tokens = new TokenSet();
  for (const t of config.api_tokens) tokens.addToken(t, "config");
  const builtin = config.api_tokens.map((t) => ({ fp6: fp6(t), source: "config" as const }));
  const firstConfigured = config.api_tokens[0];
  if (firstConfigured !== undefined) return { tokens, builtin, apiToken: { token: firstConfigured, source: "config", path: null, fp6: fp6(firstConfigured) } };
  if (!loopback) {
    throw new StartupRefused(`refusing to bind ${config.bind_addr} (not loopback) without LLORCH_API_TOKEN: set a token of at least 32 characters (e.g. openssl rand -hex 32) or bind 127.0.0.1`);
  }
  const generated = loadOrCreateGeneratedToken(config.data_dir);
  tokens.addToken(generated.token, "generated");
  const apiToken: ApiToken = { token: generated.token, source: "generated", path: generated.path, fp6: fp6(generated.token) };
  logger.info({ path: generated.path, fp6: apiToken.fp6, created: generated.created }, "no LLORCH_API_TOKEN configured: using the generated token stored in the data dir");
  return { tokens, builtin: [...builtin, { fp6: apiToken.fp6, source: "generated" }], apiToken };
}
