import { z } from "zod";
import { readSseFrames, type SseByteStream } from "../../../src-shared/streaming/read-sse.js";
import type { ChatMessage } from "../../../src-shared/worker-api/chat-message.js";

// The part of llama-server's HTTP API the engine uses, each reply parsed with a schema: a server
// of another llama.cpp version that answers differently is a clear error, not a silent misread.

const TokenizeReplySchema = z.object({ tokens: z.array(z.int()) });
const ApplyTemplateReplySchema = z.object({ prompt: z.string() });
const PropsReplySchema = z.object({
  default_generation_settings: z.object({ n_ctx: z.int().min(1) }).loose(),
  total_slots: z.int().min(1),
  build_info: z.string().optional(),
}).loose();
export type LlamaServerProps = z.infer<typeof PropsReplySchema>;

/** One streamed /completion chunk; the last one has stop: true and the totals. */
export const CompletionChunkSchema = z.object({
  content: z.string(),
  stop: z.boolean(),
  tokens: z.array(z.int()).optional(),
  tokens_predicted: z.int().optional(),
  tokens_evaluated: z.int().optional(),
  stop_type: z.string().optional(),
}).loose();
export type CompletionChunk = z.infer<typeof CompletionChunkSchema>;

const ErrorReplySchema = z.object({ error: z.object({ message: z.string(), type: z.string().optional() }).loose() }).loose();

export class LlamaServerError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string | undefined,
  ) {
    super(message);
  }
}

export interface CompletionParams {
  prompt: number[];
  n_predict: number;
  temperature: number;
  seed: number;
  top_k?: number;
  top_p?: number;
  stop?: string[];
}

export class LlamaServerApi {
  constructor(private readonly baseUrl: string) {}

  /** True once the model is loaded (llama-server answers 503 while loading). */
  async healthy(signal?: AbortSignal): Promise<boolean> {
    try {
      const reply = await fetch(`${this.baseUrl}/health`, signal !== undefined ? { signal } : {});
      await reply.body?.cancel();
      return reply.ok;
    } catch {
      return false;
    }
  }

  props(): Promise<LlamaServerProps> {
    return this.get("/props", PropsReplySchema);
  }

  async tokenize(content: string, signal: AbortSignal): Promise<number[]> {
    return (await this.post("/tokenize", { content, add_special: true, parse_special: true }, TokenizeReplySchema, signal)).tokens;
  }

  /** The chat rendered by the model's own template, up to where the answer starts. */
  async applyTemplate(messages: readonly ChatMessage[], signal: AbortSignal): Promise<string> {
    const plain = messages.map((m) => ({ role: m.role, content: m.content }));
    return (await this.post("/apply-template", { messages: plain }, ApplyTemplateReplySchema, signal)).prompt;
  }

  /** Streams a completion; aborting `signal` closes the connection, which stops the slot. */
  async *complete(params: CompletionParams, signal: AbortSignal): AsyncGenerator<CompletionChunk> {
    const reply = await this.send("/completion", { ...params, stream: true, cache_prompt: true, return_tokens: false }, signal);
    if (reply.body === null) throw new LlamaServerError("llama-server sent no body", reply.status, undefined);
    for await (const frame of readSseFrames(reply.body as SseByteStream)) {
      const json: unknown = JSON.parse(frame.data);
      const parsed = CompletionChunkSchema.safeParse(json);
      if (!parsed.success) {
        const error = ErrorReplySchema.safeParse(json);
        if (error.success) throw new LlamaServerError(error.data.error.message, 500, error.data.error.type);
        throw new LlamaServerError(`unexpected completion chunk: ${frame.data.slice(0, 200)}`, 500, undefined);
      }
      yield parsed.data;
      if (parsed.data.stop) return;
    }
  }

  private async get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const reply = await fetch(`${this.baseUrl}${path}`);
    return schema.parse(await this.json(reply));
  }

  private async post<T>(path: string, body: unknown, schema: z.ZodType<T>, signal: AbortSignal): Promise<T> {
    return schema.parse(await this.json(await this.send(path, body, signal)));
  }

  private async send(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const reply = await fetch(`${this.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
    if (!reply.ok) {
      const text = await reply.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const error = ErrorReplySchema.safeParse(parsed);
      throw new LlamaServerError(error.success ? error.data.error.message : `${path}: HTTP ${reply.status} ${text.slice(0, 200)}`, reply.status, error.success ? error.data.error.type : undefined);
    }
    return reply;
  }

  private async json(reply: Response): Promise<unknown> {
    if (!reply.ok) throw new LlamaServerError(`HTTP ${reply.status}`, reply.status, undefined);
    return reply.json();
  }
}
