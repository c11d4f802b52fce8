// One streaming client of a fault run: submits /v2 tasks (some with an Idempotency-Key, some huge,
// some canceled mid-stream), follows each task's events to its terminal event across orchestrator
// restarts (reconnecting with Last-Event-ID), and records everything it sees in the history.
import { randomUUID } from "node:crypto";
import type { Prng } from "../../scripts/gguf/prng.js";
import type { History } from "./history.js";

export interface LoadModel {
  name: string;
  ctx: number;
  minTokens: number;
  maxTokens: number;
}

export interface LoadOptions {
  url: string;
  token: string;
  models: readonly LoadModel[];
  rng: Prng;
  history: History;
  /** Stop submitting at this history time (ms); running tasks are still followed. */
  submitUntil: number;
  /** Give up following one task after this long (a lost task). */
  followLimitMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(rng: Prng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

interface Frame {
  id?: string;
  event: string;
  data: string;
}

/** SSE frames with their ids (the contract reader drops ids; resuming needs them). */
async function* framesWithIds(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const frame: Frame = { event: "message", data: "" };
      for (const line of raw.split("\n")) {
        if (line.startsWith("id:")) frame.id = line.slice(3).trim();
        else if (line.startsWith("event:")) frame.event = line.slice(6).trim();
        else if (line.startsWith("data:")) frame.data += line.slice(5).trim();
      }
      if (frame.data !== "") yield frame;
    }
  }
}

export class LoadClient {
  constructor(private readonly o: LoadOptions) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.o.token}`, "content-type": "application/json", ...extra };
  }

  async run(): Promise<void> {
    const { history, rng } = this.o;
    while (history.now() < this.o.submitUntil) {
      const model = pick(rng, this.o.models);
      const huge = rng() < 0.04;
      const key = rng() < 0.25 ? `key-${randomUUID()}` : undefined;
      const body = {
        task_id: randomUUID(), session_id: randomUUID(), workload: "completion", model_ref: model.name, engine: "llamacpp", ctx: model.ctx, priority: rng() < 0.8 ? "interactive" : "batch",
        prompt: huge ? "lorem ipsum ".repeat(30_000) : `Story ${Math.floor(rng() * 1e6)}: once upon a time`, max_tokens: model.minTokens + Math.floor(rng() * (model.maxTokens - model.minTokens)), deadline_ms: 120_000, temperature: 0,
      };
      const taskId = await this.submit(body, key, model.name);
      if (taskId === undefined) {
        await sleep(100 + rng() * 300);
        continue;
      }
      const cancelAfter = rng() < 0.1 ? 1 + Math.floor(rng() * 5) : undefined;
      await this.follow(taskId, cancelAfter);
      // A client retrying with the same key (e.g. after a timeout) must get the same task back.
      if (key !== undefined && rng() < 0.3) await this.submit({ ...body, task_id: randomUUID() }, key, model.name);
    }
  }

  /** POSTs the task; a connection failure with a key is retried with the same key (it may have been accepted). */
  private async submit(body: Record<string, unknown>, key: string | undefined, model: string): Promise<string | undefined> {
    const { history } = this.o;
    for (let attempt = 0; attempt < (key !== undefined ? 20 : 1); attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.o.url}/v2/tasks`, { method: "POST", headers: this.headers(key !== undefined ? { "idempotency-key": key } : {}), body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      } catch {
        if (key === undefined) history.add({ kind: "refused", code: "CONNECTION" });
        await sleep(300);
        continue;
      }
      const answer = (await res.json().catch(() => ({}))) as { task_id?: string; code?: string };
      if (res.status !== 202 || answer.task_id === undefined) {
        history.add({ kind: "refused", code: answer.code ?? `HTTP_${res.status}` });
        return undefined;
      }
      history.add({ kind: "accepted", task: answer.task_id, model, replayed: res.headers.get("idempotent-replayed") === "true", ...(key !== undefined ? { key } : {}) });
      return answer.task_id;
    }
    history.add({ kind: "refused", code: "CONNECTION" });
    return undefined;
  }

  /** Follows the task to its terminal event, reconnecting (with Last-Event-ID) while the orchestrator is away. */
  private async follow(taskId: string, cancelAfter: number | undefined): Promise<void> {
    const { history } = this.o;
    const deadline = history.now() + this.o.followLimitMs;
    let lastId: string | undefined;
    let tokens = 0;
    let canceled = false;
    while (history.now() < deadline) {
      try {
        const res = await fetch(`${this.o.url}/v2/tasks/${taskId}/events?verbose=true`, { headers: this.headers(lastId !== undefined ? { "last-event-id": lastId } : {}) });
        if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
        for await (const frame of framesWithIds(res.body)) {
          if (frame.id !== undefined) lastId = frame.id;
          const data = JSON.parse(frame.data) as { i?: number; code?: string; canceled?: boolean; tokens_out?: number; node_id?: string; phase?: string };
          if (frame.event === "metrics" && data.phase === "dispatched" && data.node_id !== undefined) history.add({ kind: "placed", task: taskId, node: data.node_id });
          if (frame.event === "token") {
            history.add({ kind: "token", task: taskId, index: data.i ?? -1 });
            tokens++;
            if (cancelAfter !== undefined && tokens === cancelAfter && !canceled) {
              canceled = true;
              history.add({ kind: "cancel", task: taskId });
              void fetch(`${this.o.url}/v2/tasks/${taskId}/cancel`, { method: "POST", headers: this.headers() }).catch(() => undefined);
            }
          }
          if (frame.event === "end") history.add({ kind: "end", task: taskId, canceled: data.canceled === true, tokens: data.tokens_out ?? tokens });
          if (frame.event === "error") history.add({ kind: "error", task: taskId, code: data.code ?? "?" });
          if (frame.event === "end" || frame.event === "error") return await this.recordStatus(taskId);
        }
      } catch {
        // The stream broke (orchestrator killed) or could not open: reconnect below.
      }
      await sleep(250);
    }
  }

  private async recordStatus(taskId: string): Promise<void> {
    try {
      const res = await fetch(`${this.o.url}/v2/tasks/${taskId}`, { headers: this.headers(), signal: AbortSignal.timeout(5000) });
      const s = (await res.json()) as { attempts?: number; node_id?: string | null };
      this.o.history.add({ kind: "status", task: taskId, attempts: s.attempts ?? 0, node: s.node_id ?? null });
    } catch {
      // Not essential: the re-placement check then has no status to judge.
    }
  }
}
