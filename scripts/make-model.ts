/**
 * CLI: generate a small random llama GGUF model (or BERT reranker) for tests.
 *   npm run make-model -- <out.gguf> [--arch llama|bert-reranker] [--size tiny|medium|big] [--seed N] [--type f32|f16] [--ctx N]
 *                         [--chat-template chatml] [--name NAME] [--defect missing-feed-forward-length|truncated]
 * Exit codes: 0 success, 1 write failure, 2 bad arguments.
 */
import { MAKE_MODEL_USAGE, parseMakeModelArgs } from "./gguf/cli-args.js";
import { resolveTinyModelSpec } from "./gguf/tiny-llama-model.js";
import { writeTinyGguf } from "./gguf/write-tiny-gguf.js";

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseMakeModelArgs(argv);
  if (parsed.kind === "help") {
    process.stdout.write(`${MAKE_MODEL_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === "error") {
    process.stderr.write(`make-model: ${parsed.message}\n\n${MAKE_MODEL_USAGE}\n`);
    return 2;
  }
  const spec = resolveTinyModelSpec(parsed.options);
  const started = performance.now();
  try {
    const written = await writeTinyGguf(parsed.outPath, parsed.options);
    const ms = performance.now() - started;
    const shape = `E${spec.embd} L${spec.layers} H${spec.heads}/${spec.kvHeads} FF${spec.ff} ${spec.type.toUpperCase()} ctx${spec.ctx}`;
    const extras = [spec.arch === "llama" ? "" : spec.arch, spec.chatTemplate === "chatml" ? "chatml" : "", spec.defect ? `DEFECT ${spec.defect}` : ""].filter(Boolean);
    process.stdout.write(
      `${written.path}\n` +
        `  ${spec.name}: ${spec.size} ${shape} seed ${spec.seed}${extras.length ? ` (${extras.join(", ")})` : ""}\n` +
        `  ${written.bytes} bytes (${(written.bytes / 1024 / 1024).toFixed(2)} MiB) in ${ms.toFixed(0)} ms\n` +
        `  sha256 ${written.sha256}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`make-model: failed to write ${parsed.outPath}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
