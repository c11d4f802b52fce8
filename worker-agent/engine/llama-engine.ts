import { PrefillJoiner, prefillOf } from "./prefill-joiner.js";
import { CompletionText } from "./completion-text.js";
import {
  getLlama,
  InsufficientMemoryError,
  LlamaChat,
  LlamaCompletion,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatWrapper,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { basename } from "node:path";
import { availableParallelism } from "node:os";
import type { ErrorCode } from "../../src-shared/errors/error-codes.js";
import { headerFacts, unsupportedWorkloadMessage, workloadsOf } from "../../src-shared/models/model-workloads.js";
import type { Workload } from "../../src-shared/tasks/task-request.js";
import { toGrammarSchema } from "../../src-shared/tasks/grammar-schema.js";
import type { StopReason } from "../../src-shared/streaming/sse-events.js";
import type { GpuBackend } from "../../src-shared/nodes/gpu-capabilities.js";
import { DEFAULT_MIN_P, DEFAULT_TOP_K, DEFAULT_TOP_P } from "../../src-shared/worker-api/sampling.js";
import type { EngineInferMessage, EngineLoadMessage, EngineToParentMessage, EngineWireMessage } from "./engine-ipc.js";
import { sequenceOrderedBatches, queuedSequenceIds } from "./batch-order.js";
import { BatchStepBarrier } from "./batch-step-barrier.js";
import { DecodeGate } from "./decode-gate.js";
import { grammarRefusal, isGrammarParseFailure } from "./grammar-refusal.js";
import { jsonGrammar } from "./json-grammar.js";
import { boundGrammarNumbers, schemaGrammar } from "./schema-grammar.js";
import { loadNativeLlama } from "./native-addon/load-native-addon.js";
import { directPrebuiltCpuBins, loadPrebuiltCpuLlama } from "./prebuilt-cpu-llama.js";
import { checkMemoryFit } from "./memory-fit.js";
import { attentionHeadSizes, chooseFlashAttention, cpuFlags, type FlashAttentionOption, type FlashAttentionOverride } from "./flash-attention.js";
import { chooseThreads, threadsToTry, type ThreadChoice } from "./thread-calibration.js";
import { allowedCpus, onOneCpu } from "./engine-cpu-pinning.js";
import { TasksetHelper } from "./taskset-helper.js";
import type { ChatPlan } from "./chat-plan.js";
import { Embedder } from "./embedder.js";
import { Ranker } from "./ranker.js";
import { dropOldestTurns } from "./chat-turn-drop.js";
import { outputBudget } from "./output-budget.js";
import { measurePrompt, supportsInfill } from "./prompt-fit.js";
import { SequencePool } from "./sequence-pool.js";
import { logitBiasRefusal } from "./logit-bias-check.js";
import { repeatPenaltyOption, tokenBiasOf, vocabularyOf } from "./sampling-options.js";
import { TokenEmitter } from "./token-emitter.js";
import { DEFAULT_TOKEN_FLUSH_MS } from "./token-flush-interval.js";
import { TokenOutbox } from "./token-outbox.js";
import { TokenProbe } from "./token-probe.js";

type Send = (message: EngineToParentMessage) => void;

/** The thread calibration, its one-thread candidate on one CPU when the agent will pin a one-thread engine. */
async function calibrateThreads(model: LlamaModel, msg: EngineLoadMessage, flashAttention: FlashAttentionOption): Promise<ThreadChoice> {
  // Compared with one pinned thread (as measured), a count that takes every core loses while serving.
  const pinned = msg.pinned_if_one_thread === true && process.platform === "linux";
  const threads = pinned ? threadsToTry(msg.threads, availableParallelism()) : msg.threads;
  const cpus = pinned && threads > 1 ? allowedCpus() : [];
  if (cpus.length < 2) return chooseThreads(model, threads, flashAttention);
  const taskset = new TasksetHelper();
  try {
    return await chooseThreads(model, threads, flashAttention, onOneCpu(taskset.set, process.pid, cpus));
  } finally {
    taskset.close();
  }
}

/**
 * llama.cpp as the parent chose it (addon-choice.ts): the native build when given, else node-llama-cpp's
 * prebuilt one (on a CPU pool loaded directly: prebuilt-cpu-llama.ts). A native build that fails to load (a broken copy) falls back to the prebuilt, reported
 * in `loaded.addon_fallback`, rather than failing the pool.
 */
async function openLlama(msg: EngineLoadMessage): Promise<{ llama: Llama; addon: "native" | "prebuilt"; fallback?: string }> {
  const prebuilt = async (): Promise<Llama> => {
    const bins = directPrebuiltCpuBins(msg.device);
    if (bins !== undefined) {
      try {
        return await loadPrebuiltCpuLlama(bins, msg.threads, LlamaLogLevel.warn);
      } catch (error) {
        process.stderr.write(`engine: loading the prebuilt CPU binary in ${bins} directly failed (${error instanceof Error ? error.message : String(error)}); asking node-llama-cpp\n`);
      }
    }
    // GPU index selection happens through *_VISIBLE_DEVICES set by the parent, so "auto" here.
    return getLlama({ gpu: msg.device === "cpu" ? false : "auto", build: "never", maxThreads: msg.threads, logLevel: LlamaLogLevel.warn });
  };
  if (msg.native_addon !== undefined) {
    try {
      return { llama: await loadNativeLlama(msg.native_addon.dir, msg.native_addon.info, msg.threads, LlamaLogLevel.warn), addon: "native" };
    } catch (error) {
      const fallback = `loading the native build in ${msg.native_addon.dir} failed: ${error instanceof Error ? error.message : String(error)}`;
      process.stderr.write(`engine: ${fallback}; using node-llama-cpp's prebuilt binary\n`);
      return { llama: await prebuilt(), addon: "prebuilt", fallback };
    }
  }
  return { llama: await prebuilt(), addon: "prebuilt" };
}

const DEFAULT_MAX_CONTEXT = 4096;

export function backendOf(gpu: Llama["gpu"]): GpuBackend {
  return gpu === false ? "cpu" : gpu;
}

/** Why node-llama-cpp stopped, and the stop trigger that matched (its parts: the text we gave as a string). */
interface StopMetadata {
  stopReason: string;
  customStopTrigger?: readonly unknown[];
}

/** Which of the task's stop strings matched (Anthropic's stop_sequence), from the trigger node-llama-cpp reports. */
function matchedStop(stops: readonly string[] | undefined, trigger: readonly unknown[] | undefined): string | undefined {
  if (stops === undefined || trigger === undefined || !trigger.every((part) => typeof part === "string")) return undefined;
  const text = trigger.join("");
  return stops.find((stop) => stop === text);
}

function mapStopReason(reason: string): StopReason {
  switch (reason) {
    case "maxTokens":
      return "max_tokens";
    case "eogToken":
      return "eos";
    case "abort":
      return "canceled";
    case "functionCalls":
      return "tool_calls";
    default:
      return "stop";
  }
}

interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
  sequences: SequencePool;
  probes: Map<LlamaContextSequence, TokenProbe>;
  chatWrapper: ChatWrapper;
  embedder: Embedder;
  ranker: Ranker;
  /** What the model can serve; the orchestrator refuses the rest first, this is the engine's own guard. */
  workloads: Workload[];
  name: string;
}

/** The same rule the catalog applies to the header (model-workloads.ts), on the loaded model. */
function loadedWorkloads(model: LlamaModel): Workload[] {
  return workloadsOf(headerFacts(model.fileInfo.architectureMetadata, model.fileInsights.supportsRanking));
}

/**
 * Streaming callbacks: text chunks to the emitter, joined to an assistant prefill when the chat continues one.
 * Every generated token is counted (onToken): a chunk can hold several tokens, and a token can have no text
 * at all (a control token a logit_bias forced, byte tokens of a character not yet complete).
 */
function textCallbacks(emitter: TokenEmitter, model: LlamaModel, chat: ChatPlan | undefined): Pick<GenerationOptions, "onTextChunk" | "onToken"> {
  const prefill = chat === undefined ? undefined : prefillOf(chat.history);
  if (prefill === undefined) return { onToken: (tokens) => emitter.generated(tokens.length), onTextChunk: (text) => emitter.text(text) };
  const joiner = new PrefillJoiner(model, prefill);
  return {
    onToken: (tokens) => {
      emitter.generated(tokens.length);
      joiner.tokens(tokens);
    },
    onTextChunk: (text) => emitter.text(joiner.text(text)),
  };
}

/**
 * The text and count of the `held` last sampled tokens, which LlamaChat held back as the possible start
 * of a stop string and dropped when max_tokens came first: they are the answer's end (a stop string is
 * a bound, not a request to drop what comes before it), and they were generated. The count comes from
 * node-llama-cpp's meter; nothing is given back when the sampled tokens do not account for it.
 */
function heldBackTail(emitter: TokenEmitter, model: LlamaModel, sampled: readonly Token[], held: number): void {
  if (held <= 0 || held > sampled.length) return;
  const tail = sampled.slice(sampled.length - held);
  const before = sampled.at(-held - 1);
  emitter.generated(tail.length);
  const text = model.detokenize(tail, false, before !== undefined ? [before] : undefined);
  if (text !== "") emitter.text(text);
}

/** The options LlamaCompletion and LlamaChat share (sampling, limits, abort, streaming). */
type GenerationOptions = Omit<NonNullable<Parameters<LlamaCompletion["generateCompletionWithMeta"]>[1]>, "grammar">;

/**
 * One model in one context with `slots` sequences; each infer runs on its own sequence, so
 * llama.cpp batches concurrent tasks. Every infer ends with exactly one `done` or `task_failed`
 * (the parent frees the slot on it). Lives in the engine child process only.
 */
export class LlamaEngine {
  private llama: Llama | undefined;
  private loaded: Loaded | undefined;
  private readonly running = new Map<string, AbortController>();
  private readonly outbox: TokenOutbox;
  private readonly send: Send;
  private readonly flashAttentionOverride: FlashAttentionOverride | undefined;

  /**
   * `write` puts one message on the IPC channel; token messages reach it batched (token-outbox.ts), at
   * most one write per `tokenFlushMs` (token-flush-interval.ts). `flashAttention` is an operator's
   * override of the context's flash attention (flash-attention.ts); without it the engine decides.
   */
  constructor(write: (message: EngineWireMessage) => void, tokenFlushMs = DEFAULT_TOKEN_FLUSH_MS, flashAttention?: FlashAttentionOverride) {
    this.outbox = new TokenOutbox(write, tokenFlushMs);
    this.send = this.outbox.send;
    this.flashAttentionOverride = flashAttention;
  }

  async load(msg: EngineLoadMessage): Promise<void> {
    const started = performance.now();
    const { llama, addon, fallback } = await openLlama(msg);
    boundGrammarNumbers(llama);
    this.llama = llama;
    const fitContext = msg.context_size ?? DEFAULT_MAX_CONTEXT;
    const info = await readGgufFileInfo(msg.model_path, { readTensorInfo: true, sourceType: "filesystem", logWarnings: false });
    // Decided before the memory check: without flash attention llama.cpp needs larger compute buffers.
    const flashAttention = chooseFlashAttention({
      cpu: llama.gpu === false,
      arch: process.arch,
      cpuFlags: cpuFlags(),
      heads: attentionHeadSizes(info.architectureMetadata),
      override: this.flashAttentionOverride,
    });
    if (flashAttention.reason !== undefined) process.stderr.write(`engine: flash attention ${flashAttention.option === false ? "off" : "on"}: ${flashAttention.reason}\n`);
    const fit = await checkMemoryFit(llama, info, fitContext, msg.slots, msg.memory_limit_bytes, flashAttention.option);
    if (!fit.fits) {
      this.send({ type: "load_failed", code: "MODEL_TOO_LARGE", message: fit.detail });
      return;
    }
    try {
      const model = await llama.loadModel({ modelPath: msg.model_path, gpuLayers: llama.gpu === false ? 0 : "auto" });
      const contextSize = msg.context_size ?? Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT);
      // GPU layers do not spin on CPU barriers; only CPU decoding needs the check.
      const calibration = llama.gpu === false ? await calibrateThreads(model, msg, flashAttention.option) : undefined;
      const threads = calibration?.threads ?? msg.threads;
      const measured = calibration === undefined ? {} : Object.fromEntries(Object.entries(calibration.measured).filter(([, ms]) => Number.isFinite(ms)).map(([n, ms]) => [n, Math.round(ms * 1000) / 1000]));
      // The outbox writes a step's tokens right after the next decode is dispatched (token-outbox.ts).
      // Set once the context exists: the batch order reads its queue (batch-order.ts).
      const created: { context?: LlamaContext } = {};
      const context = await model.createContext({
        contextSize,
        sequences: msg.slots,
        threads,
        flashAttention: flashAttention.option,
        batching: {
          dispatchSchedule: this.outbox.schedule,
          itemPrioritizationStrategy: sequenceOrderedBatches(() => (created.context === undefined ? undefined : queuedSequenceIds(created.context))),
        },
      });
      created.context = context;
      // Every generating sequence in every decode step, as llama-server does (batch-step-barrier.ts).
      if (!new BatchStepBarrier(() => this.outbox.stepDispatched()).attach(context)) process.stderr.write("engine: this node-llama-cpp has no LlamaContext._decodeTokens; concurrent streams may miss decode steps\n");
      const all = Array.from({ length: msg.slots }, () => context.getSequence());
      const sequences = new SequencePool(
        all,
        new DecodeGate(),
        (error) => process.stderr.write(`engine: erasing a released sequence failed: ${error instanceof Error ? error.message : String(error)}\n`),
      );
      // Resolved once so that measuring a chat prompt and running it render it the same way.
      // Probes wrap the gated evaluation, so they see exactly the tokens that were decoded.
      const probes = new Map(all.map((sequence) => [sequence, new TokenProbe(sequence)]));
      const embedder = new Embedder(model, contextSize, threads);
      const ranker = new Ranker(model, contextSize, threads, basename(msg.model_path));
      this.loaded = { model, context, sequences, probes, chatWrapper: resolveChatWrapper(model), embedder, ranker, workloads: loadedWorkloads(model), name: basename(msg.model_path) };
      const vram = await llama.getVramState();
      this.send({
        type: "loaded",
        engine_version: `llama.cpp ${llama.llamaCppRelease.release} (node-llama-cpp, ${backendOf(llama.gpu)}, ${addon === "native" ? "native build" : "prebuilt"})`,
        backend: backendOf(llama.gpu),
        context_size: contextSize,
        slots: msg.slots,
        vram_total_bytes: vram.total,
        vram_free_bytes: vram.free,
        estimated_bytes: Math.round(fit.requiredBytes),
        load_ms: Math.round(performance.now() - started),
        threads,
        ...(Object.keys(measured).length > 0 ? { thread_calibration_ms_per_token: measured } : {}),
        addon,
        flash_attention: flashAttention.option === "auto" ? "auto" : flashAttention.option ? "on" : "off",
        ...(fallback !== undefined ? { addon_fallback: fallback } : {}),
      });
    } catch (error) {
      const code = error instanceof InsufficientMemoryError ? "MODEL_TOO_LARGE" : "INTERNAL";
      this.send({ type: "load_failed", code, message: `failed to load ${msg.model_path}: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  async vramState(): Promise<{ total: number; free: number }> {
    return this.llama === undefined ? { total: 0, free: 0 } : this.llama.getVramState();
  }

  abort(taskId: string): void {
    this.running.get(taskId)?.abort();
  }

  /**
   * Serves one infer. The task is abortable from the first synchronous step: Node's IPC channel emits
   * each message of one read as its own process.nextTick, ahead of any promise continuation, so an
   * `abort` that arrived in the same read as its `infer` is handled before this method passes its first
   * await. Registered later, that abort found no task and the task ran to max_tokens with its slot busy.
   */
  async infer(msg: EngineInferMessage): Promise<void> {
    const controller = new AbortController();
    this.running.set(msg.task_id, controller);
    try {
      await this.serve(msg, controller);
    } catch (error) {
      // Still exactly one terminal message (a throw here escaped generate()'s own handling: a grammar,
      // an embedding); the parent ignores a second one for a task it already ended.
      this.send({ type: "task_failed", task_id: msg.task_id, code: "INTERNAL", message: error instanceof Error ? error.message : String(error) });
    } finally {
      if (this.running.get(msg.task_id) === controller) this.running.delete(msg.task_id);
    }
  }

  private async serve(msg: EngineInferMessage, controller: AbortController): Promise<void> {
    const fail = (code: ErrorCode, message: string): void => this.send({ type: "task_failed", task_id: msg.task_id, code, message });
    const loaded = this.loaded;
    if (loaded === undefined) return fail("POOL_UNREADY", "no model loaded");
    const workload: Workload = msg.inputs === undefined ? "completion" : msg.rank_query !== undefined ? "rerank" : "embedding";
    // rerank keeps the Ranker's own refusal (it names the missing head and suggests a reranker).
    if (workload !== "rerank" && !loaded.workloads.includes(workload)) return fail("INVALID_PARAMS", unsupportedWorkloadMessage(loaded.name, loaded.model.fileInfo.metadata.general.architecture, loaded.workloads, workload));
    if (msg.inputs !== undefined) return msg.rank_query !== undefined ? this.rank(loaded, msg, msg.rank_query, controller) : this.embed(loaded, msg, controller);
    if (msg.suffix !== undefined && !supportsInfill(loaded.model)) {
      return fail("INVALID_PARAMS", `model ${loaded.name} has no fill-in-the-middle tokens, so a suffix cannot be served (use a code model trained for infill)`);
    }
    // Measured before it gets a sequence: a prompt that cannot fit never reaches decoding.
    const measured = measurePrompt(loaded.model, loaded.chatWrapper, msg);
    if (!measured.ok) return fail(measured.code, measured.message);
    let { promptTokens, chat } = measured;
    // A count (Anthropic's count_tokens) is the prompt as it would be decoded; it needs no sequence and may exceed the context.
    if (msg.count_only === true) return this.send({ type: "done", task_id: msg.task_id, tokens_out: 0, tokens_in: promptTokens, decode_ms: 0, stop_reason: "stop" });
    const contextSize = loaded.context.contextSize;
    let budget = outputBudget(promptTokens, msg, contextSize);
    if (!budget.ok && msg.drop_old_turns === true && chat !== undefined) {
      const shortened = dropOldestTurns(loaded.model, chat, (tokens) => outputBudget(tokens, msg, contextSize).ok);
      if (shortened !== undefined) {
        ({ plan: chat, promptTokens } = shortened);
        budget = outputBudget(promptTokens, msg, contextSize);
      } else {
        budget = { ok: false, message: `${budget.message}, even with only the system messages and the last user turn` };
      }
    }
    if (!budget.ok) return fail("CONTEXT_TOO_LONG", budget.message);
    const biasRefusal = msg.logit_bias !== undefined ? logitBiasRefusal(msg.logit_bias, vocabularyOf(loaded.model)) : undefined;
    if (biasRefusal !== undefined) return fail("INVALID_PARAMS", biasRefusal);
    const taking = loaded.sequences.take();
    if (taking === undefined) return fail("REPLICA_EXHAUSTED", "no free sequence");
    const sequence = await taking;
    try {
      const grammar = await this.grammarFor(msg);
      if (typeof grammar === "string") return fail("INVALID_PARAMS", grammar);
      this.send({ type: "prompt", task_id: msg.task_id, tokens_in: promptTokens });
      await this.generate({ ...msg, max_tokens: budget.maxTokens }, sequence, chat, grammar, controller, promptTokens, budget.maxTokens < msg.max_tokens);
    } finally {
      loaded.sequences.release(sequence);
    }
  }

  async dispose(): Promise<void> {
    for (const controller of this.running.values()) controller.abort();
    await this.loaded?.embedder.dispose();
    await this.loaded?.ranker.dispose();
    await this.llama?.dispose();
  }

  /** The grammar a format asks for; a message when the schema is outside what grammars express. */
  private async grammarFor(msg: EngineInferMessage): Promise<LlamaGrammar | undefined | string> {
    if (msg.format === undefined || this.llama === undefined) return undefined;
    if (msg.format.type === "json") return jsonGrammar(this.llama);
    const translated = toGrammarSchema(msg.format.schema, "format.schema");
    if (!translated.ok) return `${translated.path} uses ${translated.feature}, which a grammar cannot express`;
    try {
      return await schemaGrammar(this.llama, translated.schema as GbnfJsonSchema);
    } catch (error) {
      if (!isGrammarParseFailure(error)) throw error;
      return grammarRefusal("format.schema", error);
    }
  }

  private async embed(loaded: Loaded, msg: EngineInferMessage, controller: AbortController): Promise<void> {
    const started = performance.now();
    const result = await loaded.embedder.embed(
      msg.inputs ?? [],
      controller.signal,
      (index, vector, tokens) => {
        this.send({ type: "embedding", task_id: msg.task_id, index, embedding: [...vector], tokens });
      },
      msg.truncate_inputs === true,
    );
    if (!result.ok) return this.send({ type: "task_failed", task_id: msg.task_id, code: result.code, message: result.message });
    const canceled = controller.signal.aborted;
    this.send({ type: "done", task_id: msg.task_id, tokens_out: 0, tokens_in: result.tokensIn, decode_ms: Math.round(performance.now() - started), stop_reason: canceled ? "canceled" : "stop" });
  }

  private async rank(loaded: Loaded, msg: EngineInferMessage, query: string, controller: AbortController): Promise<void> {
    const started = performance.now();
    const result = await loaded.ranker.rank(query, msg.inputs ?? [], controller.signal, (index, score, tokens) => {
      this.send({ type: "score", task_id: msg.task_id, index, score, tokens });
    });
    if (!result.ok) return this.send({ type: "task_failed", task_id: msg.task_id, code: result.code, message: result.message });
    this.send({ type: "done", task_id: msg.task_id, tokens_out: 0, tokens_in: result.tokensIn, decode_ms: Math.round(performance.now() - started), stop_reason: controller.signal.aborted ? "canceled" : "stop" });
  }

  /** `contextBound`: max_tokens was shortened to what the context leaves, so reaching it means the context is full. */
  private async generate(msg: EngineInferMessage, sequence: LlamaContextSequence, chat: ChatPlan | undefined, grammar: LlamaGrammar | undefined, controller: AbortController, promptTokens: number, contextBound: boolean): Promise<void> {
    const received = performance.now();
    const loaded = this.loaded as Loaded;
    const emitter = new TokenEmitter(msg.task_id, this.send, () => controller.signal.aborted, loaded.model, msg.logprobs);
    const probe = loaded.probes.get(sequence);
    const canceled = (): void => this.send({ type: "done", task_id: msg.task_id, tokens_out: emitter.tokensOut, tokens_in: 0, decode_ms: 0, stop_reason: "canceled" });
    // Aborted while its sequence was being erased: it never decoded.
    if (controller.signal.aborted) return canceled();
    // A chat's stop strings are LlamaChat's: the tokens that may begin one are held back, and dropped
    // (from the text and from onToken) when max_tokens ends the generation first. The sampled tokens are
    // kept here so that tail can be given back (heldBackTail).
    const sampled: Token[] | undefined = chat !== undefined && msg.stop !== undefined && msg.stop.length > 0 ? [] : undefined;
    if (emitter.wantsLogprobs || sampled !== undefined) {
      probe?.listen((step) => {
        sampled?.push(step.token);
        if (emitter.wantsLogprobs) emitter.probed(step);
      }, emitter.wantsLogprobs);
    }
    const temperature = msg.temperature ?? 0;
    // node-llama-cpp's default seed changes every second; pin one so sampling is reproducible per task.
    const seed = msg.seed ?? (temperature > 0 ? Math.floor(Math.random() * 2 ** 31) : 0);
    const options: GenerationOptions = {
      maxTokens: msg.max_tokens,
      temperature,
      seed,
      signal: controller.signal,
      stopOnAbortSignal: true,
      // Off unless asked for: node-llama-cpp's default ({}: last 64 tokens at penalty 1.1) would change
      // the output, and even at penalty 1 it copies and filters those tokens for every sampled token.
      repeatPenalty: repeatPenaltyOption(msg, sequence.contextSize),
      ...textCallbacks(emitter, loaded.model, chat),
      topK: msg.top_k ?? DEFAULT_TOP_K,
      topP: msg.top_p ?? DEFAULT_TOP_P,
      minP: msg.min_p ?? DEFAULT_MIN_P,
      // Checked against the vocabulary in serve(), before the sequence was taken.
      ...(msg.logit_bias !== undefined ? { tokenBias: tokenBiasOf(msg.logit_bias, loaded.model) } : {}),
      // A completion finds its stop strings itself (completion-text.ts).
      ...(chat !== undefined && msg.stop !== undefined && msg.stop.length > 0 ? { customStopTriggers: msg.stop } : {}),
    };
    // node-llama-cpp's meter of this sequence: what a chat stop string held back is counted there only.
    const meteredBefore = sequence.tokenMeter.usedOutputTokens;
    try {
      const { stopReason, customStopTrigger } = chat !== undefined ? await this.runChat(sequence, chat, options, grammar, emitter, msg.parallel_tool_calls) : await this.runCompletion(sequence, msg, options, grammar, emitter);
      const stopSequence = matchedStop(msg.stop, customStopTrigger);
      const done = performance.now();
      const first = emitter.firstTokenAt;
      const reason = controller.signal.aborted ? "canceled" : mapStopReason(stopReason);
      // LlamaChat holds back the tokens that may start a stop string and drops them when it matches, so
      // onToken never saw them: usage counted 0 for a chat ended by " run run run" (3 tokens generated),
      // where completions (completion-text.ts) and llama-server count them. The meter books every
      // decoded token with logits: the prompt's last one plus each generated one but the last, i.e. as
      // many as were generated.
      const metered = sequence.tokenMeter.usedOutputTokens - meteredBefore;
      if (chat !== undefined && stopReason === "maxTokens" && sampled !== undefined && !controller.signal.aborted) heldBackTail(emitter, loaded.model, sampled, metered - emitter.tokensOut);
      const tokensOut = chat !== undefined && stopReason === "customStopTrigger" ? Math.max(emitter.tokensOut, metered) : emitter.tokensOut;
      this.send({
        type: "done",
        task_id: msg.task_id,
        tokens_out: tokensOut,
        // The prompt as measured (what count_tokens reports): node-llama-cpp's meter books the prompt's
        // last token, whose logits are computed, as output, so it would count one short.
        tokens_in: promptTokens,
        decode_ms: Math.round(done - (first ?? done)),
        ...(first !== undefined ? { first_token_ms: Math.round(first - received) } : {}),
        stop_reason: reason,
        // Said here, not guessed from tokens_out: tool-call syntax tokens count toward the limit but are not text.
        ...(contextBound && reason === "max_tokens" ? { context_full: true } : {}),
        ...(reason === "stop" && stopSequence !== undefined ? { stop_sequence: stopSequence } : {}),
      });
    } catch (error) {
      if (controller.signal.aborted) canceled();
      // Tool calls are generated under a grammar node-llama-cpp builds inside the generation.
      else if (isGrammarParseFailure(error)) this.send({ type: "task_failed", task_id: msg.task_id, code: "INVALID_PARAMS", message: grammarRefusal("tools", error) });
      else this.send({ type: "task_failed", task_id: msg.task_id, code: "INTERNAL", message: error instanceof Error ? error.message : String(error) });
    } finally {
      probe?.stop();
    }
  }

  private async runChat(sequence: LlamaContextSequence, plan: ChatPlan, options: GenerationOptions, grammar: LlamaGrammar | undefined, emitter: TokenEmitter, parallel: boolean | undefined): Promise<StopMetadata> {
    const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false, chatWrapper: plan.wrapper });
    try {
      const response =
        plan.functions !== undefined
          ? await chat.generateResponse(plan.history, {
              ...options,
              functions: plan.functions,
              documentFunctionParams: true,
              ...(parallel === false ? { maxParallelFunctionCalls: 1 } : {}),
              onFunctionCallParamsChunk: (chunk) => emitter.paramsChunk(chunk),
              onFunctionCall: (call) => emitter.functionCall(call.functionName, call.params),
            })
          : await chat.generateResponse(plan.history, { ...options, ...(grammar !== undefined ? { grammar } : {}) });
      return response.metadata;
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }

  private async runCompletion(sequence: LlamaContextSequence, msg: EngineInferMessage, options: GenerationOptions, grammar: LlamaGrammar | undefined, emitter: TokenEmitter): Promise<StopMetadata> {
    const completion = new LlamaCompletion({ contextSequence: sequence });
    const prompt = msg.prompt ?? "";
    // A stop string ends the generation through its own signal, so that the task's abort still means canceled.
    const atStop = new AbortController();
    // After a fill-in-the-middle prefix the next token follows <MID>, not the prompt's text.
    const text = new CompletionText(sequence.model, msg.suffix !== undefined ? "" : prompt, msg.stop, (chunk) => emitter.text(chunk), () => atStop.abort());
    try {
      const generation = {
        ...options,
        signal: options.signal === undefined ? atStop.signal : AbortSignal.any([options.signal, atStop.signal]),
        onToken: (tokens: Token[]) => {
          emitter.generated(tokens.length);
          text.tokens(tokens);
        },
        onTextChunk: undefined,
        ...(grammar !== undefined ? { grammar } : {}),
      };
      // Fill in the middle: node-llama-cpp frames prefix and suffix with the model's FIM tokens (serve() checked it has them).
      const result = msg.suffix !== undefined ? await completion.generateInfillCompletionWithMeta(prompt, msg.suffix, generation) : await completion.generateCompletionWithMeta(prompt, generation);
      if (text.stopped) return { stopReason: "customStopTrigger", customStopTrigger: [text.matchedStop] };
      text.end();
      return result.metadata;
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }
}
