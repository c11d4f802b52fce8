import { z } from "zod";

/**
 * Ollama's `keep_alive`: seconds as a number, or a Go duration string ("5m", "1h30m", "-1s"), as Ollama
 * parses it (time.ParseDuration); also seconds as a string ("-1", "300": what Open WebUI settings hold
 * and OLLAMA_KEEP_ALIVE takes). Anything else Ollama answers with 400, and so does this.
 */
export const OllamaKeepAliveSchema = z.union([
  z.number(),
  z.string().regex(/^[-+]?((\d+(\.\d*)?|\.\d+)|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/, 'keep_alive must be seconds or a duration such as "5m", "1h" or "-1"'),
]);
