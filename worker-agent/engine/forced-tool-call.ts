import { LlamaText, type ChatWrapper, type ChatWrapperGenerateContextStateOptions, type ChatWrapperGeneratedContextState } from "node-llama-cpp";

// tool_choice "required" or a named function: the answer must be a call. node-llama-cpp supports
// chat formats whose answer starts in function-call mode ("initially engaged"): the function name
// and then the arguments are generated under grammars, so a call always comes out. This wrapper puts
// any chat wrapper in that mode: the rendered context ends with the call prefix, and the answer
// starts with the function's name.

/** `wrapper`, except that the model's answer starts as a function call. */
export function forceFunctionCall(wrapper: ChatWrapper): ChatWrapper {
  const forced = Object.create(wrapper) as ChatWrapper;
  forced.generateContextState = (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState => {
    const state = wrapper.generateContextState(options);
    return {
      contextText: LlamaText([state.contextText, wrapper.settings.functions.call.prefix]),
      stopGenerationTriggers: state.stopGenerationTriggers,
      ...(state.ignoreStartText !== undefined ? { ignoreStartText: state.ignoreStartText } : {}),
      functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
    };
  };
  return forced;
}
