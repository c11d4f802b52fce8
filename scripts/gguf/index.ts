export { makeTinyGguf, resolveTinyModelSpec, countParameters, SIZE_PRESETS, MODEL_SIZES, MODEL_ARCHS, MODEL_DEFECTS, WEIGHT_TYPES, CHAT_TEMPLATES } from "./tiny-llama-model.js";
export type { TinyGgufOptions, TinyModelSpec, ModelShape, ModelSize, ModelArch, ModelDefect, WeightType, ChatTemplateKind } from "./tiny-llama-model.js";
export { writeTinyGguf, writeFileAtomic, sha256Hex, type WrittenModel } from "./write-tiny-gguf.js";
export { parseMakeModelArgs, MAKE_MODEL_USAGE, type ParsedMakeModelArgs } from "./cli-args.js";
