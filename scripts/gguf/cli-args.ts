/** Argument parsing for `npm run make-model`, separate from the CLI entry so tests can call it directly. */
import { parseArgs } from "node:util";
import {
  CHAT_TEMPLATES,
  MODEL_ARCHS,
  MODEL_DEFECTS,
  MODEL_SIZES,
  WEIGHT_TYPES,
  resolveTinyModelSpec,
  type TinyGgufOptions,
} from "./tiny-llama-model.js";

export const MAKE_MODEL_USAGE = `Usage: npm run make-model -- <out.gguf> [options]

Generates a small random llama GGUF model (or a BERT reranker) for tests (deterministic for a given seed).

Options:
  --arch llama|bert-reranker    llama: generative decoder (default); bert-reranker: BERT encoder
                                with a ranking head (pooling rank, cls.* tensors) for /v1/rerank
  --size tiny|medium|big        shape preset (default tiny: E64 L2 H4 FF256 F32;
                                medium: E256 L4 H8 FF768 F16; big: E512 L8 H8 FF1536 F16)
  --seed N                      PRNG seed, integer 0..4294967295 (default 42)
  --type f32|f16                weight matrix type (default from --size)
  --ctx N                       llama.context_length (default 512)
  --chat-template chatml|none   add ChatML special tokens and template (default none)
  --fim                         add fill-in-the-middle tokens (<PRE> <SUF> <MID> <EOT>) for suffix requests
  --name NAME                   general.name (default tiny-random-llama-<size>)
  --defect missing-feed-forward-length|truncated
                                write a deliberately broken file
  -h, --help                    show this help`;

export type ParsedMakeModelArgs =
  | { kind: "run"; outPath: string; options: TinyGgufOptions }
  | { kind: "help" }
  | { kind: "error"; message: string };

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new RangeError(`--${flag} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}`);
}

function integer(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new RangeError(`--${flag} must be an integer; got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new RangeError(`--${flag} must be between ${min} and ${max}; got ${value}`);
  return n;
}

/** Parses CLI arguments (without the node and script paths). Never throws; never exits. */
export function parseMakeModelArgs(argv: readonly string[]): ParsedMakeModelArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        arch: { type: "string" },
        size: { type: "string" },
        seed: { type: "string" },
        type: { type: "string" },
        ctx: { type: "string" },
        "chat-template": { type: "string" },
        fim: { type: "boolean" },
        name: { type: "string" },
        defect: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) return { kind: "help" };
    if (positionals.length !== 1) {
      throw new RangeError(
        positionals.length === 0
          ? "missing output path (<out.gguf>)"
          : `expected exactly one output path, got ${positionals.length}: ${positionals.join(" ")}`,
      );
    }
    const outPath = positionals[0] ?? "";
    if (!outPath.endsWith(".gguf")) throw new RangeError(`output path must end with .gguf; got ${JSON.stringify(outPath)}`);
    if (values.name !== undefined && values.name.trim() === "") throw new RangeError("--name must not be empty");

    const options: TinyGgufOptions = {};
    const arch = oneOf("arch", values.arch, MODEL_ARCHS);
    const size = oneOf("size", values.size, MODEL_SIZES);
    const seed = integer("seed", values.seed, 0, 0xffffffff);
    const type = oneOf("type", values.type, WEIGHT_TYPES);
    const ctx = integer("ctx", values.ctx, 1, 1 << 20);
    const chatTemplate = oneOf("chat-template", values["chat-template"], CHAT_TEMPLATES);
    const defect = oneOf("defect", values.defect, MODEL_DEFECTS);
    if (arch !== undefined) options.arch = arch;
    if (size !== undefined) options.size = size;
    if (seed !== undefined) options.seed = seed;
    if (type !== undefined) options.type = type;
    if (ctx !== undefined) options.ctx = ctx;
    if (chatTemplate !== undefined) options.chatTemplate = chatTemplate;
    if (values.name !== undefined) options.name = values.name;
    if (values.fim === true) options.fim = true;
    if (defect !== undefined) options.defect = defect;
    resolveTinyModelSpec(options); // validate the combination now, with the same messages
    return { kind: "run", outPath, options };
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
}
