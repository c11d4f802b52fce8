import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { accessSync, constants, statSync } from "node:fs";
import { createServer } from "node:net";
import { basename } from "node:path";
import type { ErrorCode } from "../../../src-shared/errors/error-codes.js";
import type { StopReason } from "../../../src-shared/streaming/sse-events.js";
import { readGgufModelMetadata } from "../../catalog/gguf-metadata.js";
import type { EngineExit } from "../engine-process.js";
import type { EngineInferMessage, EngineLoadMessage, EngineToParentMessage, ParentToEngineMessage } from "../engine-ipc.js";
import { outputBudget } from "../output-budget.js";
import { LlamaServerApi, LlamaServerError, type CompletionParams } from "./llama-server-api.js";
import { llamaServerArgs } from "./llama-server-args.js";
import { spawnGuarded } from "./orphan-guard.js";
import { promptTokensAtMost, tokenizerIsBounded } from "./prompt-token-bound.js";
import { ggufVocabulary } from "./gguf-vocabulary.js";
import { formatGrammar } from "./llama-server-grammar.js";
import { ggufFimTokens, type FimTokens } from "./gguf-fim-tokens.js";
import { infillPromptTokens } from "./infill-prompt.js";
import { logprobsParams, tokenLogprobs } from "./llama-server-logprobs.js";
import type { TokenLogprobs } from "../../../src-shared/streaming/sse-events.js";
import { DEFAULT_MIN_P, DEFAULT_TOP_K, DEFAULT_TOP_P } from "../../../src-shared/worker-api/sampling.js";
import { logitBiasRefusal, type Vocabulary } from "../logit-bias-check.js";

const DEFAULT_MAX_CONTEXT = 4096;
const HEALTH_POLL_MS = 100;
const OUTPUT_TAIL_LINES = 40;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function mapStopType(type: string | undefined): StopReason {
  if (type === "eos") return "eos";
  if (type === "limit") return "max_tokens";
  return "stop";
}

/**
 * The penalties as llama-server takes them. Its own defaults (repeat_penalty 1, no frequency or presence
 * penalty, a window of 64) match the default engine's, so only what the request sets is sent; its
 * /completion refuses -1 for the window, so "all of them" is sent as the slot's context.
 */
function llamaServerPenalties(msg: EngineInferMessage, contextSize: number): Pick<CompletionParams, "repeat_penalty" | "repeat_last_n" | "frequency_penalty" | "presence_penalty"> {
  return {
    ...(msg.repeat_penalty !== undefined ? { repeat_penalty: msg.repeat_penalty } : {}),
    ...(msg.repeat_last_n !== undefined ? { repeat_last_n: msg.repeat_last_n === -1 ? contextSize : msg.repeat_last_n } : {}),
    ...(msg.frequency_penalty !== undefined ? { frequency_penalty: msg.frequency_penalty } : {}),
    ...(msg.presence_penalty !== undefined ? { presence_penalty: msg.presence_penalty } : {}),
  };
}

/**
 * Generation fields this engine does not translate: refused, never ignored. (format, logprobs and
 * suffix are translated: llama-server-grammar.ts, llama-server-logprobs.ts, infill-prompt.ts.)
 */
function unsupported(msg: EngineInferMessage): string | undefined {
  if (msg.inputs !== undefined) return "embeddings";
  if (msg.tools !== undefined || msg.tool_choice !== undefined) return "tools";
  return undefined;
}

export interface LlamaServerEngineOptions {
  /** Resolved at each load: the operator's path or the one `engine build` wrote. */
  binary: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  /** How long loading may take before the engine counts as failed (default 10 min). */
  loadTimeoutMs?: number;
}

/**
 * A pool's engine as a supervised llama-server process: the same handle the agent uses for its
 * node-llama-cpp child (load / infer / abort / shutdown in, loaded / token / done / task_failed out),
 * so slots, cancel, restart with backoff and the worker API stay as they are. Infer requests become
 * /completion streams on 127.0.0.1 (chats rendered by the model's template via /apply-template, a
 * fill-in-the-middle input framed as node-llama-cpp frames it); a prompt that might not fit a slot is
 * measured with /tokenize first, so an oversized prompt is CONTEXT_TOO_LONG as with the default engine.
 */
export class LlamaServerEngine extends EventEmitter<{ message: [EngineToParentMessage]; exit: [EngineExit]; protocol_error: [string] }> {
  /** The orphan guard running llama-server (orphan-guard.ts); killing it kills llama-server too. */
  private child: ChildProcess | undefined;
  private serverPid: number | undefined;
  private exited: EngineExit | undefined;
  private api: LlamaServerApi | undefined;
  private contextSize = 0;
  /** The model's tokenizer keeps to promptTokensAtMost (prompt-token-bound.ts): short prompts skip /tokenize. */
  private boundedTokenizer = false;
  private vocabulary: Vocabulary = { size: undefined, isEndOfGeneration: () => false };
  /** The model's fill-in-the-middle tokens; undefined: a suffix is refused. */
  private fim: FimTokens | undefined;
  private modelName = "";
  private loading = false;
  private readonly running = new Map<string, AbortController>();
  private readonly outputTail: string[] = [];
  private readonly killOnExit = (): void => this.hardKill();

  constructor(private readonly options: LlamaServerEngineOptions) {
    super();
  }

  /** llama-server's own pid (not its guard's), once it runs. */
  get pid(): number | undefined {
    return this.exited === undefined ? this.serverPid : undefined;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  send(message: ParentToEngineMessage): boolean {
    if (this.exited !== undefined) return false;
    switch (message.type) {
      case "load":
        void this.load(message);
        return true;
      case "infer":
        void this.infer(message);
        return true;
      case "abort":
        this.running.get(message.task_id)?.abort();
        return true;
      case "shutdown":
        void this.stop();
        return true;
      case "ping":
        // Alive means llama-server answers its own /health (a stopped or wedged server does not).
        void this.api?.healthy().then((ok) => {
          if (ok) this.emitMessage({ type: "pong", n: message.n });
        });
        return true;
    }
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.child === undefined) this.markExited({ code: null, signal });
    else if (signal === "SIGKILL") this.hardKill();
    else this.child.kill(signal);
  }

  /**
   * SIGKILL for llama-server itself (its guard then ends the same way), and the guard's IPC closed, which
   * makes it kill llama-server and exit if it had not started yet. SIGKILLing the guard instead would
   * leave llama-server running as an orphan.
   */
  private hardKill(): void {
    const child = this.child;
    if (child === undefined) return;
    if (this.serverPid !== undefined) {
      try {
        process.kill(this.serverPid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (child.connected) child.disconnect();
  }

  /** SIGTERM (llama-server finishes its in-flight step and exits), SIGKILL after graceMs. */
  async stop(graceMs = 3000): Promise<EngineExit> {
    if (this.exited !== undefined) return this.exited;
    const child = this.child;
    if (child === undefined) return this.markExited({ code: 0, signal: null });
    const exit = new Promise<EngineExit>((resolve) => this.once("exit", resolve));
    for (const controller of this.running.values()) controller.abort();
    child.kill("SIGTERM");
    const timer = setTimeout(() => this.hardKill(), graceMs);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  }

  private emitMessage(message: EngineToParentMessage): void {
    if (this.exited === undefined) this.emit("message", message);
  }

  private markExited(exit: EngineExit): EngineExit {
    if (this.exited !== undefined) return this.exited;
    this.exited = exit;
    this.api?.close();
    process.off("exit", this.killOnExit);
    this.emit("exit", exit);
    return exit;
  }

  private loadFailed(code: ErrorCode, message: string): void {
    this.loading = false;
    this.emitMessage({ type: "load_failed", code, message });
  }

  private async load(msg: EngineLoadMessage): Promise<void> {
    const started = performance.now();
    let binary: string;
    try {
      binary = await this.options.binary();
    } catch (error) {
      return this.loadFailed("INTERNAL", `llama-server binary not found: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      return this.loadFailed("INTERNAL", `llama-server binary ${binary} is missing or not executable: run \`llama-orch-worker engine build\` or set llama_server_path (LLORCH_LLAMA_SERVER)`);
    }
    let contextSize = msg.context_size;
    if (contextSize === undefined) {
      const metadata = await readGgufModelMetadata(msg.model_path).catch(() => undefined);
      contextSize = Math.min(metadata?.context_length ?? DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT);
    }
    this.boundedTokenizer = await tokenizerIsBounded(msg.model_path);
    this.vocabulary = await ggufVocabulary(msg.model_path);
    this.fim = await ggufFimTokens(msg.model_path);
    this.modelName = basename(msg.model_path);
    const port = await freePort();
    this.loading = true;
    // Under a guard that kills llama-server when this agent goes away, even by SIGKILL.
    const child = spawnGuarded(binary, llamaServerArgs(msg, contextSize, port), this.options.env, (pid) => (this.serverPid = pid));
    this.child = child;
    process.once("exit", this.killOnExit);
    const keepTail = (chunk: Buffer): void => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        this.outputTail.push(line);
        if (this.outputTail.length > OUTPUT_TAIL_LINES) this.outputTail.shift();
      }
    };
    child.stdout?.on("data", keepTail);
    child.stderr?.on("data", keepTail);
    child.on("error", (error) => {
      this.loadFailed("INTERNAL", `llama-server could not start: ${error.message}`);
      this.markExited({ code: null, signal: null });
    });
    child.on("exit", (code, signal) => {
      // Dying while loading is a load failure with llama-server's own last words, not a bare exit code.
      if (this.loading) this.loadFailed("INTERNAL", `llama-server exited (${signal ?? `code ${code ?? "?"}`}) while loading: ${this.outputTail.slice(-5).join(" | ")}`);
      this.markExited({ code, signal });
    });
    const api = new LlamaServerApi(`http://127.0.0.1:${port}`);
    const deadline = Date.now() + (this.options.loadTimeoutMs ?? 600_000);
    while (!(await api.healthy())) {
      if (this.exited !== undefined) return api.close();
      if (Date.now() > deadline) {
        api.close();
        this.loadFailed("INTERNAL", `llama-server did not become healthy within ${this.options.loadTimeoutMs ?? 600_000} ms`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
    }
    try {
      const props = await api.props();
      if (props.total_slots !== msg.slots) throw new Error(`llama-server runs ${props.total_slots} slots, the pool asked for ${msg.slots}`);
      this.contextSize = props.default_generation_settings.n_ctx;
      this.api = api;
      this.loading = false;
      this.emitMessage({
        type: "loaded",
        engine_version: `llama.cpp ${props.build_info ?? "?"} (llama-server)`,
        backend: "cpu",
        context_size: this.contextSize,
        slots: msg.slots,
        vram_total_bytes: 0,
        vram_free_bytes: 0,
        estimated_bytes: statSync(msg.model_path).size,
        load_ms: Math.round(performance.now() - started),
        threads: msg.threads,
      });
    } catch (error) {
      api.close();
      this.loadFailed("INTERNAL", `llama-server answered /props unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async infer(msg: EngineInferMessage): Promise<void> {
    const fail = (code: ErrorCode, message: string): void => this.emitMessage({ type: "task_failed", task_id: msg.task_id, code, message });
    const api = this.api;
    if (api === undefined) return fail("POOL_UNREADY", "llama-server is not loaded");
    const refused = unsupported(msg);
    if (refused !== undefined) return fail("INVALID_PARAMS", `${refused} is not supported by the llama-server engine; use a pool with engine "node-llama-cpp"`);
    const fim = this.fim;
    if (msg.suffix !== undefined && fim === undefined) {
      return fail("INVALID_PARAMS", `model ${this.modelName} has no fill-in-the-middle tokens, so a suffix cannot be served (use a code model trained for infill)`);
    }
    const biasRefusal = msg.logit_bias !== undefined ? logitBiasRefusal(msg.logit_bias, this.vocabulary) : undefined;
    if (biasRefusal !== undefined) return fail("INVALID_PARAMS", biasRefusal);
    let grammar: Awaited<ReturnType<typeof formatGrammar>>;
    try {
      grammar = await formatGrammar(msg.format);
    } catch (error) {
      return fail("INTERNAL", `the grammar for format could not be built: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (grammar?.ok === false) return fail("INVALID_PARAMS", grammar.message);
    const stop = [...(msg.stop ?? []), ...(grammar?.stop ?? [])];
    const controller = new AbortController();
    this.running.set(msg.task_id, controller);
    const received = performance.now();
    let count = 0;
    let firstAt: number | undefined;
    try {
      const text = msg.messages !== undefined ? await api.applyTemplate(msg.messages, controller.signal) : (msg.prompt ?? "");
      // Fill in the middle: the framed tokens, always measured (they are known before anything is sent).
      const infill = msg.suffix !== undefined && fim !== undefined ? await infillPromptTokens(api, fim, text, msg.suffix, controller.signal) : undefined;
      // A count (Anthropic's count_tokens) is the prompt as it would be decoded, as with the default
      // engine: nothing is generated, and it may exceed the context.
      if (msg.count_only === true) {
        const tokens = infill ?? (await api.tokenize(text, controller.signal));
        this.emitMessage({ type: "done", task_id: msg.task_id, tokens_out: 0, tokens_in: tokens.length, decode_ms: 0, stop_reason: "stop" });
        return;
      }
      // A prompt that fits a slot for certain goes to /completion as text (llama-server tokenizes it
      // and reports its token count in the last chunk); only one that might not fit is measured with
      // /tokenize first, so CONTEXT_TOO_LONG and fill_context stay exact without a round trip per task.
      let prompt: string | number[] = text;
      let nPredict = msg.max_tokens;
      let measured: number | undefined;
      if (infill !== undefined || !this.boundedTokenizer || promptTokensAtMost(text) + msg.max_tokens > this.contextSize) {
        const tokens = infill ?? (await api.tokenize(text, controller.signal));
        const budget = outputBudget(tokens.length, msg, this.contextSize);
        // Leaving out a chat's oldest turns (drop_old_turns, Ollama's /api/chat) needs the default engine's chat rendering.
        if (!budget.ok) return fail("CONTEXT_TOO_LONG", msg.drop_old_turns === true ? `${budget.message}; the llama-server engine does not leave out a chat's oldest turns (a pool with engine "node-llama-cpp" does)` : budget.message);
        prompt = tokens;
        nPredict = budget.maxTokens;
        measured = tokens.length;
        // Measured before generating: announced now (unmeasured prompts are counted in the last chunk only).
        this.emitMessage({ type: "prompt", task_id: msg.task_id, tokens_in: measured });
      }
      const temperature = msg.temperature ?? 0;
      const params: CompletionParams = {
        prompt,
        n_predict: nPredict,
        temperature,
        // As the default engine: a pinned seed per task, so sampling is reproducible per task.
        seed: msg.seed ?? (temperature > 0 ? Math.floor(Math.random() * 2 ** 31) : 0),
        // Always sent: llama-server's own defaults differ from the default engine's (min_p 0.05).
        top_k: msg.top_k ?? DEFAULT_TOP_K,
        top_p: msg.top_p ?? DEFAULT_TOP_P,
        min_p: msg.min_p ?? DEFAULT_MIN_P,
        ...llamaServerPenalties(msg, this.contextSize),
        // Added to the logits as given, -100 included, as the default engine does: llama-server's `false`
        // (-infinity) could leave a grammar no token to take (see sampling-options.ts, tokenBiasOf).
        ...(msg.logit_bias !== undefined ? { logit_bias: Object.entries(msg.logit_bias).map(([id, bias]): [number, number] => [Number(id), bias]) } : {}),
        ...(stop.length > 0 ? { stop } : {}),
        ...(grammar !== undefined ? { grammar: grammar.grammar } : {}),
        ...logprobsParams(msg.logprobs, temperature),
      };
      let stopType: string | undefined;
      let stoppingWord: string | undefined;
      let tokensIn = measured;
      // Entries of tokens whose text has not been sent yet (a partial UTF-8 character or stop string):
      // they go with the text they produced, so a message's entries concatenate to its text.
      let pending: TokenLogprobs[] = [];
      const top = msg.logprobs;
      // The first infill token follows the framing's control token: SentencePiece's space prefix is not text there.
      let trimSpace = infill !== undefined && fim?.spacePrefix === true;
      for await (const chunk of api.complete(params, controller.signal)) {
        if (top !== undefined) for (const probability of chunk.completion_probabilities ?? []) pending.push(tokenLogprobs(probability, top));
        if (trimSpace && chunk.content !== "") {
          trimSpace = false;
          chunk.content = chunk.content.replace(/^ /, "");
          const first = pending[0];
          if (first?.token.startsWith(" ") === true) pending[0] = { ...first, token: first.token.slice(1), bytes: first.bytes.slice(1) };
        }
        if (chunk.content !== "") {
          firstAt ??= performance.now();
          if (top === undefined) this.emitMessage({ type: "token", task_id: msg.task_id, t: chunk.content, i: count++ });
          else {
            this.emitMessage({ type: "token", task_id: msg.task_id, t: chunk.content, i: count++, logprobs: pending });
            pending = [];
          }
        }
        if (chunk.stop) {
          stopType = chunk.stop_type;
          stoppingWord = chunk.stopping_word;
          tokensIn = chunk.tokens_evaluated ?? tokensIn;
        }
      }
      if (tokensIn === undefined) return fail("INTERNAL", "llama-server's last completion chunk has no tokens_evaluated (the prompt's size)");
      const done = performance.now();
      this.emitMessage({
        type: "done",
        task_id: msg.task_id,
        tokens_out: count,
        tokens_in: tokensIn,
        decode_ms: Math.round(done - (firstAt ?? done)),
        ...(firstAt !== undefined ? { first_token_ms: Math.round(firstAt - received) } : {}),
        stop_reason: mapStopType(stopType),
        ...(nPredict < msg.max_tokens && mapStopType(stopType) === "max_tokens" ? { context_full: true } : {}),
        ...(mapStopType(stopType) === "stop" && stoppingWord !== undefined && msg.stop?.includes(stoppingWord) === true ? { stop_sequence: stoppingWord } : {}),
      });
    } catch (error) {
      if (controller.signal.aborted) {
        this.emitMessage({ type: "done", task_id: msg.task_id, tokens_out: count, tokens_in: 0, decode_ms: 0, stop_reason: "canceled" });
      } else if (error instanceof LlamaServerError) {
        const code: ErrorCode = error.type === "exceed_context_size_error" ? "CONTEXT_TOO_LONG" : error.status === 400 ? "INVALID_PARAMS" : "INTERNAL";
        fail(code, `llama-server: ${error.message}`);
      } else {
        // A connection refused or reset: llama-server is dying; its exit fails the pool's work.
        fail("ENGINE_CRASHED", `llama-server: ${error instanceof Error ? error.message : String(error)}`);
      }
    } finally {
      this.running.delete(msg.task_id);
    }
  }
}
