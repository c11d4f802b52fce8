import {
  getLlama,
  InsufficientMemoryError,
  LlamaChatSession,
  LlamaCompletion,
  LlamaLogLevel,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import type { StopReason } from "../../src-shared/streaming/sse-events.js";
import type { GpuBackend } from "../../src-shared/nodes/gpu-capabilities.js";
import type { EngineInferMessage, EngineLoadMessage, EngineToParentMessage } from "./engine-ipc.js";
import { checkMemoryFit } from "./memory-fit.js";

type Send = (message: EngineToParentMessage) => void;

const DEFAULT_MAX_CONTEXT = 4096;

export function backendOf(gpu: Llama["gpu"]): GpuBackend {
  return gpu === false ? "cpu" : gpu;
}

function mapStopReason(reason: string): StopReason {
  switch (reason) {
    case "maxTokens":
      return "max_tokens";
    case "eogToken":
      return "eos";
    case "abort":
      return "canceled";
    default:
      return "stop";
  }
}

/** Chat turns → node-llama-cpp history plus the final user prompt. */
export function splitChat(messages: NonNullable<EngineInferMessage["messages"]>): { history: ChatHistoryItem[]; prompt: string } | undefined {
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== "user") return undefined;
  const history: ChatHistoryItem[] = messages.slice(0, -1).map((m) =>
    m.role === "system" ? { type: "system", text: m.content } : m.role === "user" ? { type: "user", text: m.content } : { type: "model", response: [m.content] },
  );
  return { history, prompt: last.content };
}

/**
 * One model in one context with `slots` sequences; each infer runs on its own sequence, so
 * llama.cpp batches concurrent tasks. Lives in the engine child process only.
 */
export class LlamaEngine {
  private llama: Llama | undefined;
  private model: LlamaModel | undefined;
  private context: LlamaContext | undefined;
  private readonly freeSequences: LlamaContextSequence[] = [];
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly send: Send) {}

  async load(msg: EngineLoadMessage): Promise<void> {
    const started = performance.now();
    // GPU index selection happens through *_VISIBLE_DEVICES set by the parent, so "auto" here.
    this.llama = await getLlama({ gpu: msg.device === "cpu" ? false : "auto", build: "never", maxThreads: msg.threads, logLevel: LlamaLogLevel.warn });
    const llama = this.llama;
    const fitContext = msg.context_size ?? DEFAULT_MAX_CONTEXT;
    const fit = await checkMemoryFit(llama, msg.model_path, fitContext, msg.slots, msg.memory_limit_bytes);
    if (!fit.fits) {
      this.send({ type: "load_failed", code: "MODEL_TOO_LARGE", message: fit.detail });
      return;
    }
    try {
      this.model = await llama.loadModel({ modelPath: msg.model_path, gpuLayers: llama.gpu === false ? 0 : "auto" });
      const contextSize = msg.context_size ?? Math.min(this.model.trainContextSize, DEFAULT_MAX_CONTEXT);
      this.context = await this.model.createContext({ contextSize, sequences: msg.slots, threads: msg.threads });
      for (let i = 0; i < msg.slots; i++) this.freeSequences.push(this.context.getSequence());
      const vram = await llama.getVramState();
      this.send({
        type: "loaded",
        engine_version: `llama.cpp ${llama.llamaCppRelease.release} (node-llama-cpp, ${backendOf(llama.gpu)})`,
        backend: backendOf(llama.gpu),
        context_size: contextSize,
        slots: msg.slots,
        vram_total_bytes: vram.total,
        vram_free_bytes: vram.free,
        estimated_bytes: Math.round(fit.requiredBytes),
        load_ms: Math.round(performance.now() - started),
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

  async infer(msg: EngineInferMessage): Promise<void> {
    const sequence = this.freeSequences.pop();
    if (sequence === undefined || this.model === undefined) {
      this.send({ type: "task_failed", task_id: msg.task_id, code: this.model === undefined ? "POOL_UNREADY" : "REPLICA_EXHAUSTED", message: "no free sequence" });
      if (sequence !== undefined) this.freeSequences.push(sequence);
      return;
    }
    const controller = new AbortController();
    this.running.set(msg.task_id, controller);
    const received = performance.now();
    let firstTokenAt: number | undefined;
    let index = 0;
    const onTextChunk = (text: string): void => {
      if (controller.signal.aborted || text === "") return; // nothing leaves after an abort; empty chunks carry nothing
      firstTokenAt ??= performance.now();
      this.send({ type: "token", task_id: msg.task_id, t: text, i: index++ });
    };
    try {
      await sequence.clearHistory();
      const inputBefore = sequence.tokenMeter.usedInputTokens;
      const temperature = msg.temperature ?? 0;
      // node-llama-cpp's default seed changes every second; pin one so sampling is reproducible per task.
      const seed = msg.seed ?? (temperature > 0 ? Math.floor(Math.random() * 2 ** 31) : 0);
      const options = {
        maxTokens: msg.max_tokens,
        temperature,
        seed,
        signal: controller.signal,
        stopOnAbortSignal: true,
        onTextChunk,
        ...(msg.top_k !== undefined ? { topK: msg.top_k } : {}),
        ...(msg.top_p !== undefined ? { topP: msg.top_p } : {}),
        ...(msg.stop !== undefined && msg.stop.length > 0 ? { customStopTriggers: msg.stop } : {}),
      };
      let stopReason: string;
      if (msg.messages !== undefined) {
        const chat = splitChat(msg.messages);
        if (chat === undefined) {
          this.send({ type: "task_failed", task_id: msg.task_id, code: "INVALID_PARAMS", message: "the last chat message must come from the user" });
          return;
        }
        const session = new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
        try {
          session.setChatHistory(chat.history);
          stopReason = (await session.promptWithMeta(chat.prompt, options)).stopReason;
        } finally {
          session.dispose({ disposeSequence: false });
        }
      } else {
        const completion = new LlamaCompletion({ contextSequence: sequence });
        try {
          stopReason = (await completion.generateCompletionWithMeta(msg.prompt ?? "", options)).metadata.stopReason;
        } finally {
          completion.dispose({ disposeSequence: false });
        }
      }
      const done = performance.now();
      this.send({
        type: "done",
        task_id: msg.task_id,
        tokens_out: index,
        tokens_in: Math.max(0, sequence.tokenMeter.usedInputTokens - inputBefore),
        decode_ms: Math.round(done - (firstTokenAt ?? done)),
        ...(firstTokenAt !== undefined ? { first_token_ms: Math.round(firstTokenAt - received) } : {}),
        stop_reason: controller.signal.aborted ? "canceled" : mapStopReason(stopReason),
      });
    } catch (error) {
      if (controller.signal.aborted) {
        this.send({ type: "done", task_id: msg.task_id, tokens_out: index, tokens_in: 0, decode_ms: 0, stop_reason: "canceled" });
      } else {
        this.send({ type: "task_failed", task_id: msg.task_id, code: "INTERNAL", message: error instanceof Error ? error.message : String(error) });
      }
    } finally {
      this.running.delete(msg.task_id);
      this.freeSequences.push(sequence);
    }
  }

  async dispose(): Promise<void> {
    for (const controller of this.running.values()) controller.abort();
    await this.llama?.dispose();
  }
}
