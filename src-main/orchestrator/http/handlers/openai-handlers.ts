import type { Response } from "express";
import { ERROR_CODES } from "../../../../src-shared/errors/error-codes.js";
import { errorEnvelope } from "../../../../src-shared/errors/error-envelope.js";
import { chatMessageText, type ChatCompletionRequest } from "../../../../src-shared/openai/chat-completions.js";
import type { CompletionRequest } from "../../../../src-shared/openai/completions.js";
import { OPENAI_STREAM_DONE } from "../../../../src-shared/openai/completions.js";
import type { FinishReason, Usage } from "../../../../src-shared/openai/openai-common.js";
import { openAiErrorType } from "../../../../src-shared/openai/openai-error.js";
import type { SseEvent } from "../../../../src-shared/streaming/sse-events.js";
import type { ChatMessage } from "../../../../src-shared/worker-api/chat-message.js";
import { followTask } from "../../tasks/task-events.js";
import type { Task } from "../../tasks/task.js";
import type { OrchestratorContext } from "../../orchestrator-context.js";
import { sendError } from "../../../../src-node/error-sender.js";
import type { RouteContext, RouteHandler } from "../../../../src-node/route-context.js";
import { openSse } from "../../../../src-node/sse-writer.js";

const DEFAULT_MAX_TOKENS = 256;

type Kind = "chat" | "completion";

/** OpenAI-compatible routes: the same admission, placement and dispatch as /v2/tasks, in OpenAI's shapes. */
export function openAiHandlers(ctx: OrchestratorContext): Record<string, RouteHandler> {
  return {
    openaiListModels: ({ res }) => {
      const created = Math.floor(ctx.startedAtMs / 1000);
      res.json({ object: "list", data: ctx.clusterModels().map((m) => ({ id: m.id, object: "model", created, owned_by: "llama-orch" })) });
    },

    openaiChatCompletions: (rc) => {
      const req = rc.body as ChatCompletionRequest;
      const messages: ChatMessage[] = req.messages.map((m) => ({ role: m.role === "developer" ? "system" : m.role, content: chatMessageText(m) }));
      return serve(ctx, rc, "chat", req, { messages });
    },

    openaiCompletions: (rc) => {
      const req = rc.body as CompletionRequest;
      const prompt = typeof req.prompt === "string" ? req.prompt : (req.prompt[0] as string);
      return serve(ctx, rc, "completion", req, { prompt });
    },
  };
}

function serve(ctx: OrchestratorContext, rc: RouteContext, kind: Kind, req: ChatCompletionRequest | CompletionRequest, input: { messages?: ChatMessage[]; prompt?: string }): void {
  const completionTokens = kind === "chat" ? (req as ChatCompletionRequest).max_completion_tokens : undefined;
  const maxTokens = completionTokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS;
  const task = ctx.tasks.admit({
    api: kind === "chat" ? "openai-chat" : "openai-completion",
    model_ref: req.model,
    priority: "interactive",
    session_id: typeof req.user === "string" && /^[\w.-]{1,128}$/.test(req.user) ? `user-${req.user}` : undefined,
    generation: {
      ...input,
      max_tokens: maxTokens,
      temperature: req.temperature ?? undefined,
      top_p: req.top_p ?? undefined,
      seed: req.seed !== null && req.seed !== undefined && req.seed >= 0 ? req.seed : undefined,
      stop: typeof req.stop === "string" ? [req.stop] : (req.stop ?? undefined),
    },
  });
  const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${task.task_id}`;
  // Lets a client cancel (POST /v2/tasks/{id}/cancel) or inspect the task before the first chunk arrives.
  rc.res.setHeader("X-Task-Id", task.task_id);
  const created = Math.floor(Date.now() / 1000);
  const cancelOnClose = (res: Response, isDone: () => boolean) => res.on("close", () => (isDone() ? undefined : ctx.tasks.cancel(task.task_id, "disconnect")));
  if (req.stream === true) streamResponse(rc.res, task, kind, id, created, req.stream_options?.include_usage === true, cancelOnClose);
  else bufferedResponse(rc.res, task, kind, id, created, cancelOnClose);
}

function usageOf(task: Task): Usage {
  const prompt = task.tokens_in ?? 0;
  return { prompt_tokens: prompt, completion_tokens: task.tokens_out, total_tokens: prompt + task.tokens_out };
}

function finishReason(task: Task): FinishReason {
  return task.stop_reason === "max_tokens" ? "length" : "stop";
}

function openAiErrorBody(event: Extract<SseEvent, { event: "error" }>) {
  const status = ERROR_CODES[event.data.code].http_status;
  return { error: { message: event.data.message ?? event.data.code, type: openAiErrorType(status), param: null, code: event.data.code } };
}

function streamResponse(res: Response, task: Task, kind: Kind, id: string, created: number, includeUsage: boolean, cancelOnClose: (res: Response, isDone: () => boolean) => void): void {
  const sse = openSse(res);
  const model = task.model.id;
  const data = (payload: unknown) => sse.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
  let done = false;
  let first = true;
  cancelOnClose(res, () => done);
  followTask(task, (event) => {
    if (event.event === "token") {
      if (kind === "chat") {
        data({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: first ? { role: "assistant", content: event.data.t } : { content: event.data.t }, finish_reason: null, logprobs: null }] });
      } else {
        data({ id, object: "text_completion", created, model, choices: [{ index: 0, text: event.data.t, finish_reason: null, logprobs: null }] });
      }
      first = false;
    } else if (event.event === "end") {
      done = true;
      const reason = finishReason(task);
      if (kind === "chat") data({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: {}, finish_reason: reason, logprobs: null }] });
      else data({ id, object: "text_completion", created, model, choices: [{ index: 0, text: "", finish_reason: reason, logprobs: null }] });
      if (includeUsage) data({ id, object: kind === "chat" ? "chat.completion.chunk" : "text_completion", created, model, choices: [], usage: usageOf(task) });
      data(OPENAI_STREAM_DONE);
      sse.close();
    } else if (event.event === "error") {
      done = true;
      // OpenAI clients raise on a data frame carrying `error`.
      data(openAiErrorBody(event));
      sse.close();
    }
  });
}

function bufferedResponse(res: Response, task: Task, kind: Kind, id: string, created: number, cancelOnClose: (res: Response, isDone: () => boolean) => void): void {
  let text = "";
  let done = false;
  cancelOnClose(res, () => done);
  followTask(task, (event) => {
    if (event.event === "token") text += event.data.t;
    else if (event.event === "end") {
      done = true;
      const reason = finishReason(task);
      if (kind === "chat") {
        res.json({ id, object: "chat.completion", created, model: task.model.id, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: reason, logprobs: null }], usage: usageOf(task) });
      } else {
        res.json({ id, object: "text_completion", created, model: task.model.id, choices: [{ index: 0, text, finish_reason: reason, logprobs: null }], usage: usageOf(task) });
      }
    } else if (event.event === "error") {
      done = true;
      const status = ERROR_CODES[event.data.code].http_status;
      sendError(res, status, errorEnvelope(event.data.code, event.data.message ?? event.data.code, event.data.retry_after_ms !== undefined ? { retry_after_ms: event.data.retry_after_ms } : {}), "openai");
    }
  });
}
