// Global setup for the whole test run. Generates the tiny GGUF models once (see scripts/make-model.ts)
// into test-support/.models so every test file can load them without rewriting an mmapped file.
import { ensureTestModels } from "./models.js";

export default async function setup(): Promise<void> {
  await ensureTestModels();
}
