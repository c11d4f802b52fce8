import { createReadStream } from "node:fs";
import { GgufHeadReader, type GgufHeadStep } from "../../src-shared/gguf/gguf-head-reader.js";
import { GGUF_HEADER_MAX_BYTES } from "../../src-shared/gguf/gguf-header.js";

/**
 * Reads a file's GGUF header with the bounded parser the orchestrator's store uses (counts, string
 * and header sizes capped; at most GGUF_HEADER_MAX_BYTES read) and throws when it is not a usable
 * header. Run before node-llama-cpp's reader, which trusts the counts: a header announcing 2^62 keys
 * or array items kept it reading past the end of the file with memory growing without bound, so one
 * such file in the models dir stopped the agent from ever starting (its first catalog scan never ended).
 */
export async function checkGgufHead(path: string): Promise<void> {
  const head = new GgufHeadReader();
  let step: GgufHeadStep = { state: "more" };
  const stream = createReadStream(path, { end: GGUF_HEADER_MAX_BYTES - 1, highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) {
      step = head.push(chunk as Buffer);
      if (step.state !== "more") break;
    }
  } finally {
    stream.destroy();
  }
  if (step.state === "more") step = head.end();
  if (step.state === "refused") throw new Error(`not a usable GGUF header: ${step.error}`);
}
