import type { LlamaChatResponseFunctionCallParamsChunk, LlamaModel } from "node-llama-cpp";
import type { TokenLogprobs, ToolCallDelta } from "../../src-shared/streaming/sse-events.js";
import type { EngineToParentMessage } from "./engine-ipc.js";
import { logprobsOf, type TokenProbe } from "./token-probe.js";

type ProbeStep = Parameters<Parameters<TokenProbe["listen"]>[0]>[0];

/**
 * One task's token messages: text chunks (with the logprobs of the tokens behind them, when asked
 * for) and tool-call fragments. Trailing whitespace of a call's arguments is held back until more
 * follows, so the streamed fragments concatenate to exactly the arguments the call reports.
 */
export class TokenEmitter {
  /** Token messages sent so far. */
  count = 0;
  /** Tokens the model generated so far (onToken), text or not. */
  private tokensGenerated = 0;
  firstTokenAt: number | undefined;
  private pending: TokenLogprobs[] = [];
  private readonly held = new Map<number, string>();
  private callsDone = 0;

  constructor(
    private readonly taskId: string,
    private readonly send: (message: EngineToParentMessage) => void,
    private readonly stopped: () => boolean,
    private readonly model: LlamaModel,
    /** Alternatives per token when logprobs were asked for; undefined: none. */
    private readonly topLogprobs: number | undefined,
  ) {}

  /** Tokens generated: what usage reports (a message can carry several tokens, a control token none). */
  get tokensOut(): number {
    return Math.max(this.count, this.tokensGenerated);
  }

  generated(tokens: number): void {
    this.tokensGenerated += tokens;
  }

  get wantsLogprobs(): boolean {
    return this.topLogprobs !== undefined;
  }

  probed(step: ProbeStep): void {
    if (this.topLogprobs !== undefined) this.pending.push(logprobsOf(this.model, step, this.topLogprobs));
  }

  text(text: string): void {
    if (this.stopped() || text === "") return; // nothing leaves after an abort; empty chunks carry nothing
    if (!this.wantsLogprobs) {
      // The hot path: one plain message, no spread or extra arrays per token.
      this.firstTokenAt ??= performance.now();
      this.send({ type: "token", task_id: this.taskId, t: text, i: this.count++ });
      return;
    }
    const logprobs = this.pending;
    this.pending = [];
    this.emit(text, { logprobs });
  }

  paramsChunk(chunk: LlamaChatResponseFunctionCallParamsChunk): void {
    const first = !this.held.has(chunk.callIndex);
    const text = (this.held.get(chunk.callIndex) ?? "") + chunk.paramsChunk;
    const body = text.trimEnd();
    this.held.set(chunk.callIndex, text.slice(body.length));
    if (body !== "" || first) this.call({ index: chunk.callIndex, ...(first ? { name: chunk.functionName } : {}), arguments: body });
  }

  /** A finished call; one without parameters had no chunks, so it is sent whole here. */
  functionCall(name: string, params: unknown): void {
    const index = this.callsDone++;
    if (!this.held.has(index)) this.call({ index, name, arguments: params === undefined ? "{}" : JSON.stringify(params) });
  }

  private call(delta: ToolCallDelta): void {
    if (this.stopped()) return;
    this.pending.length = 0; // tool-call tokens carry no logprobs (as in OpenAI's API)
    this.emit("", { tool_call: delta });
  }

  private emit(t: string, extra: { logprobs?: TokenLogprobs[]; tool_call?: ToolCallDelta }): void {
    this.firstTokenAt ??= performance.now();
    this.send({ type: "token", task_id: this.taskId, t, i: this.count++, ...extra });
  }
}
