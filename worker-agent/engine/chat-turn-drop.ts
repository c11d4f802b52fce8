import type { ChatHistoryItem, LlamaModel } from "node-llama-cpp";
import type { ChatPlan } from "./chat-plan.js";
import { chatPromptTokens } from "./prompt-fit.js";

export interface ShortenedChat {
  plan: ChatPlan;
  promptTokens: number;
  /** History items left out (user turns and model turns, tool calls inside them). */
  dropped: number;
}

/** The history from the user turn at `start` on, with the system messages before it kept in front. */
function historyFrom(history: readonly ChatHistoryItem[], start: number): ChatHistoryItem[] {
  return [...history.slice(0, start).filter((item) => item.type === "system"), ...history.slice(start)];
}

/**
 * The chat with its oldest turns left out until `fits` its prompt's tokens, as Ollama's chat prompt
 * cuts a history longer than the context: the system messages stay, the history restarts at a user
 * turn (chat templates expect one first; a model turn keeps its tool calls with their results), and
 * the last user turn and what follows it always stay. Undefined when even that does not fit.
 * The prompt shrinks as the start moves later, so the start is found by binary search: a few
 * renders and tokenizations, not one per turn.
 */
export function dropOldestTurns(model: LlamaModel, plan: ChatPlan, fits: (promptTokens: number) => boolean): ShortenedChat | undefined {
  const starts = plan.history.flatMap((item, index) => (item.type === "user" ? [index] : []));
  let best: ShortenedChat | undefined;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const history = historyFrom(plan.history, starts[mid] as number);
    const shortened: ChatPlan = { ...plan, history };
    const promptTokens = chatPromptTokens(model, shortened);
    if (fits(promptTokens)) {
      best = { plan: shortened, promptTokens, dropped: plan.history.length - history.length };
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  // Starting at the first user turn leaves the history as it was when nothing came before it but system messages.
  return best !== undefined && best.dropped > 0 ? best : undefined;
}
