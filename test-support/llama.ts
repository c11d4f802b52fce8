// One shared llama.cpp binding per test process (getLlama costs ~0.5 s). Always CPU, never build from source,
// and one thread: on 2-core CI machines the default thread count makes generation 100-1000x slower.
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

let llamaPromise: Promise<Llama> | undefined;

export function getTestLlama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.warn }).catch(
    (error: unknown) => {
      llamaPromise = undefined; // let a later call retry
      throw error;
    },
  );
  return llamaPromise;
}
