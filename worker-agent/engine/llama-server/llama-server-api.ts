import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { SseParser } from "../../../src-shared/streaming/sse-codec.js";
import type { ChatMessage } from "../../../src-shared/worker-api/chat-message.js";
import { LlamaServerHttp, readText } from "./llama-server-http.js";

// The part of llama-server's HTTP API the engine uses, each reply parsed with a schema: a server
// of another llama.cpp version that answers differently is a clear error, not a silent misread.

const TokenizeReplySchema = z.object({ tokens: z.array(z.int()) });
const DetokenizeReplySchema = z.object({ content: z.string() });
const ApplyTemplateReplySchema = z.object({ prompt: z.string() });
const PropsReplySchema = z.object({
  default_generation_settings: z.object({ n_ctx: z.int().min(1) }).loose(),
  total_slots: z.int().min(1),
  build_info: z.string().optional(),
}).loose();
export type LlamaServerProps = z.infer<typeof PropsReplySchema>;

/**
 * A token's probability as llama-server reports it with n_probs: `logprob` from the raw distribution, or
 * `prob` with post_sampling_probs (the distribution the sampler drew from).
 */
const TokenProbabilitySchema = z.object({
  token: z.string(),
  bytes: z.array(z.int().min(0).max(255)),
  logprob: z.number().optional(),
  prob: z.number().min(0).max(1).optional(),
}).loose();
export type TokenProbability = z.infer<typeof TokenProbabilitySchema>;
const CompletionProbabilitySchema = TokenProbabilitySchema.extend({
  top_logprobs: z.array(TokenProbabilitySchema).optional(),
  top_probs: z.array(TokenProbabilitySchema).optional(),
});
export type CompletionProbability = z.infer<typeof CompletionProbabilitySchema>;

/** One streamed /completion chunk; the last one has stop: true and the totals. */
export const CompletionChunkSchema = z.object({
  content: z.string(),
  /** With n_probs: the tokens behind `content`, each with its alternatives. */
  completion_probabilities: z.array(CompletionProbabilitySchema).optional(),
  stop: z.boolean(),
  tokens: z.array(z.int()).optional(),
  tokens_predicted: z.int().optional(),
  tokens_evaluated: z.int().optional(),
  stop_type: z.string().optional(),
  /** With stop_type "word": the stop string that matched. */
  stopping_word: z.string().optional(),
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
  /** Text (llama-server tokenizes it with special tokens, as /tokenize with add_special and parse_special) or tokens. */
  prompt: string | number[];
  n_predict: number;
  temperature: number;
  seed: number;
  top_k: number;
  top_p: number;
  min_p: number;
  repeat_penalty?: number;
  repeat_last_n?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  /** [token id, bias added to its logit]. */
  logit_bias?: [number, number][];
  stop?: string[];
  /** GBNF the output must follow (llama-server refuses one it cannot parse with a 400). */
  grammar?: string;
  /** Alternatives reported per token (0: no probabilities at all). */
  n_probs?: number;
  /** Probabilities after the sampler chain (what the token was drawn from) instead of the raw softmax. */
  post_sampling_probs?: boolean;
}

export class LlamaServerApi {
  private readonly http: LlamaServerHttp;

  constructor(baseUrl: string) {
    this.http = new LlamaServerHttp(baseUrl);
  }

  /** True once the model is loaded (llama-server answers 503 while loading). */
  async healthy(): Promise<boolean> {
    try {
      const reply = await this.http.send("GET", "/health", undefined);
      // Read to the end (the connection goes back to the agent); a body cut short is an error caught here.
      await readText(reply);
      return reply.statusCode === 200;
    } catch {
      return false;
    }
  }

  props(): Promise<LlamaServerProps> {
    return this.request("GET", "/props", undefined, PropsReplySchema);
  }

  /** `content` in tokens; by default as a prompt (BOS added, special-token texts parsed), `plain`: the text alone. */
  async tokenize(content: string, signal: AbortSignal, plain = false): Promise<number[]> {
    return (await this.request("POST", "/tokenize", { content, add_special: !plain, parse_special: !plain }, TokenizeReplySchema, signal)).tokens;
  }

  async detokenize(tokens: readonly number[], signal: AbortSignal): Promise<string> {
    return (await this.request("POST", "/detokenize", { tokens }, DetokenizeReplySchema, signal)).content;
  }

  /** The chat rendered by the model's own template, up to where the answer starts. */
  async applyTemplate(messages: readonly ChatMessage[], signal: AbortSignal): Promise<string> {
    const plain = messages.map((m) => ({ role: m.role, content: m.content }));
    return (await this.request("POST", "/apply-template", { messages: plain }, ApplyTemplateReplySchema, signal)).prompt;
  }

  /** Streams a completion; aborting `signal` closes the connection, which stops the slot. */
  async *complete(params: CompletionParams, signal: AbortSignal): AsyncGenerator<CompletionChunk> {
    const reply = await this.send("/completion", { ...params, stream: true, cache_prompt: true, return_tokens: false }, signal, "POST", true);
    reply.setEncoding("utf8");
    const parser = new SseParser();
    let ended = false;
    try {
      // destroyOnReturn false: leaving after the last chunk lets llama-server end the exchange itself.
      for await (const text of reply.iterator({ destroyOnReturn: false })) {
        for (const frame of parser.feed(text as string)) {
          const json: unknown = JSON.parse(frame.data);
          const parsed = CompletionChunkSchema.safeParse(json);
          if (!parsed.success) {
            const error = ErrorReplySchema.safeParse(json);
            if (error.success) throw new LlamaServerError(error.data.error.message, 500, error.data.error.type);
            throw new LlamaServerError(`unexpected completion chunk: ${frame.data.slice(0, 200)}`, 500, undefined);
          }
          yield parsed.data;
          if (parsed.data.stop) {
            ended = true;
            return;
          }
        }
      }
    } finally {
      // After the last chunk the rest of the body (the chunked terminator) drains and llama-server
      // closes the connection; stopping early for any other reason closes it now, which stops the slot.
      if (ended) {
        // The task is over: a connection cut while the terminator drains must not be an unhandled error.
        reply.on("error", () => undefined);
        reply.resume();
      } else {
        reply.destroy();
      }
    }
  }

  /** Closes the kept-alive connections to llama-server. */
  close(): void {
    this.http.close();
  }

  private async request<T>(method: "GET" | "POST", path: string, body: unknown, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    const reply = await this.send(path, body, signal, method);
    return schema.parse(JSON.parse(await readText(reply)));
  }

  private async send(path: string, body: unknown, signal: AbortSignal | undefined, method: "GET" | "POST" = "POST", stream = false): Promise<IncomingMessage> {
    const reply = await this.http.send(method, path, body === undefined ? undefined : JSON.stringify(body), signal, stream);
    const status = reply.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = await readText(reply);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const error = ErrorReplySchema.safeParse(parsed);
      throw new LlamaServerError(error.success ? error.data.error.message : `${path}: HTTP ${status} ${text.slice(0, 200)}`, status, error.success ? error.data.error.type : undefined);
    }
    return reply;
  }
}
