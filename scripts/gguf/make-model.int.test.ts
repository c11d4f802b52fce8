import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ChatMLChatWrapper, LlamaChatSession, LlamaCompletion, readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getTestLlama } from "../../test-support/llama.js";
import { testModelName, testModelPath } from "../../test-support/models.js";
import { parseMakeModelArgs } from "./cli-args.js";
import { f32ToF16Bits } from "./f16.js";
import { makeTinyGguf } from "./tiny-llama-model.js";
import { writeTinyGguf } from "./write-tiny-gguf.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const PROMPT = "Hello world, the cat sat on the mat.";
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "make-model-test-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Runs `node <script> ...args`, killing it after timeoutMs. */
function runNode(args: string[], timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe("f16 conversion", () => {
  it("rounds to nearest even and handles the edges", () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(f32ToF16Bits(Number.NaN) & 0x3ff).not.toBe(0);
  });
});

describe("makeTinyGguf / writeTinyGguf", () => {
  it("is deterministic: the same seed gives byte-identical files", async () => {
    const a = await writeTinyGguf(join(tmp, "a.gguf"), { seed: 7 });
    const b = await writeTinyGguf(join(tmp, "b.gguf"), { seed: 7 });
    expect(a.sha256).toBe(b.sha256);
    expect(a.bytes).toBe(b.bytes);
    expect(Buffer.compare(await readFile(a.path), await readFile(b.path))).toBe(0);
    expect(Buffer.from(makeTinyGguf({ seed: 7 })).equals(await readFile(a.path))).toBe(true);
  });

  it("different seeds give different bytes, same length", async () => {
    const a = await writeTinyGguf(join(tmp, "s1.gguf"), { seed: 1 });
    const b = await writeTinyGguf(join(tmp, "s2.gguf"), { seed: 2 });
    expect(a.sha256).not.toBe(b.sha256);
    expect(a.bytes).toBe(b.bytes);
    expect(makeTinyGguf({ size: "medium", seed: 1 })).not.toEqual(makeTinyGguf({ size: "medium", seed: 2 }));
  });

  it("writes the documented metadata, readable by node-llama-cpp's GGUF parser", async () => {
    const info = await readGgufFileInfo(testModelPath("tiny"), { readTensorInfo: true });
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe("llama");
    expect(info.metadata.general.name).toBe(testModelName("tiny"));
    const llama = info.metadata.llama;
    expect(llama?.embedding_length).toBe(64);
    expect(llama?.block_count).toBe(2);
    expect(llama?.feed_forward_length).toBe(256);
    expect(info.tensorInfo?.length).toBe(1 + 2 * 9 + 2);
    expect(info.metadata.tokenizer.chat_template).toBeUndefined();

    const other = await readGgufFileInfo(testModelPath("tiny-b"));
    expect(other.metadata.general.name).toBe(testModelName("tiny-b"));
    expect(other.metadata.general.name).not.toBe(info.metadata.general.name);
    const [tinyBytes, tinyBBytes] = await Promise.all([readFile(testModelPath("tiny")), readFile(testModelPath("tiny-b"))]);
    expect(tinyBytes.equals(tinyBBytes)).toBe(false);

    const chat = await readGgufFileInfo(testModelPath("tiny-chatml"));
    expect(chat.metadata.tokenizer.chat_template).toContain("<|im_start|>");
  });

  it("--defect truncated writes a shorter file that fails to load with a catchable error", async () => {
    const full = makeTinyGguf();
    const cut = await writeTinyGguf(join(tmp, "truncated.gguf"), { defect: "truncated" });
    expect(cut.bytes).toBeLessThan(full.length);
    expect(Buffer.from(full.subarray(0, cut.bytes)).equals(await readFile(cut.path))).toBe(true);
    const llama = await getTestLlama();
    await expect(llama.loadModel({ modelPath: cut.path })).rejects.toThrow();
  });

  it("--defect missing-feed-forward-length aborts the process that loads it", async () => {
    const model = await writeTinyGguf(join(tmp, "no-ff.gguf"), { defect: "missing-feed-forward-length" });
    const info = await readGgufFileInfo(model.path);
    expect(info.metadata.llama?.feed_forward_length).toBeUndefined();

    // The child must be a real file: node-llama-cpp's binary self-test re-spawns node with process.execArgv,
    // which breaks under `node -e`. It prints READY after getLlama so a missing binary cannot pass as a crash.
    const entry = pathToFileURL(createRequire(import.meta.url).resolve("node-llama-cpp")).href;
    const child = join(tmp, "load-model-child.mjs");
    await writeFile(
      child,
      `import { getLlama, LlamaLogLevel } from ${JSON.stringify(entry)};
const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
console.log("READY");
await llama.loadModel({ modelPath: process.argv[2] });
console.log("LOADED");
`,
    );
    const result = await runNode([child, model.path], 25_000);
    expect(result.stdout).toContain("READY");
    expect(result.stdout).not.toContain("LOADED");
    expect(result.signal === "SIGABRT" || result.code === 134).toBe(true);
    expect(result.stderr).toContain("GGML_ASSERT");
  }, 30_000);
});

describe("generated models run in llama.cpp", () => {
  async function greedy(modelPath: string, maxTokens: number): Promise<{ text: string; stopReason: string }> {
    const llama = await getTestLlama();
    const model = await llama.loadModel({ modelPath });
    try {
      const context = await model.createContext({ contextSize: 512 });
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const { response, metadata } = await completion.generateCompletionWithMeta(PROMPT, { maxTokens, temperature: 0 });
      await context.dispose();
      return { text: response, stopReason: metadata.stopReason };
    } finally {
      await model.dispose();
    }
  }

  it("tiny: 32 greedy tokens, identical twice, readable, never stops early", async () => {
    const first = await greedy(testModelPath("tiny"), 32);
    const second = await greedy(testModelPath("tiny"), 32);
    expect(first.stopReason).toBe("maxTokens");
    expect(second).toEqual(first);
    expect(first.text.trim().length).toBeGreaterThan(0);
    expect(first.text).toMatch(/^[\x20-\x7e]+$/); // printable ASCII: no control bytes, no U+FFFD
    expect(first.text).toMatch(/[a-z]{2,}/i);
  });

  it("tokenizer round-trips text including non-vocab unicode", async () => {
    const llama = await getTestLlama();
    const model = await llama.loadModel({ modelPath: testModelPath("tiny") });
    const text = "Hello world, the cat sat on the mat. Ünïcode ✓";
    expect(model.detokenize(model.tokenize(text))).toBe(text);
    await model.dispose();
  });

  it("tiny-chatml: LlamaChatSession resolves ChatMLChatWrapper and answers", async () => {
    const llama = await getTestLlama();
    const model = await llama.loadModel({ modelPath: testModelPath("tiny-chatml") });
    try {
      const context = await model.createContext({ contextSize: 512 });
      const session = new LlamaChatSession({ contextSequence: context.getSequence() });
      expect(session.chatWrapper).toBeInstanceOf(ChatMLChatWrapper);
      const answer = await session.prompt("Hello, who are you?", { maxTokens: 16, temperature: 0 });
      expect(answer.trim().length).toBeGreaterThan(0);
      expect(answer).not.toContain("\uFFFD");
      const history = session.getChatHistory();
      expect(history.at(-1)?.type).toBe("model");
      session.dispose();
      await context.dispose();
    } finally {
      await model.dispose();
    }
  });

  it("medium: loads and generates", async () => {
    const result = await greedy(testModelPath("medium"), 32);
    expect(result.stopReason).toBe("maxTokens");
    expect(result.text.trim().length).toBeGreaterThan(0);
    expect(result.text).not.toContain("\uFFFD");
  });
});

describe("make-model CLI arguments", () => {
  it("parses a full valid command line", () => {
    expect(
      parseMakeModelArgs([
        "out.gguf",
        "--size", "medium",
        "--seed", "7",
        "--type", "f32",
        "--ctx", "1024",
        "--chat-template", "chatml",
        "--name", "my model",
        "--defect", "truncated",
        "--fim",
      ]),
    ).toEqual({
      kind: "run",
      outPath: "out.gguf",
      options: { size: "medium", seed: 7, type: "f32", ctx: 1024, chatTemplate: "chatml", name: "my model", defect: "truncated", fim: true },
    });
    expect(parseMakeModelArgs(["x.gguf"])).toEqual({ kind: "run", outPath: "x.gguf", options: {} });
    expect(parseMakeModelArgs(["--help"])).toEqual({ kind: "help" });
  });

  it.each([
    [[], /missing output path/],
    [["a.gguf", "b.gguf"], /exactly one output path/],
    [["a.bin"], /must end with \.gguf/],
    [["a.gguf", "--size", "huge"], /--size must be one of tiny, medium, big/],
    [["a.gguf", "--seed", "-1"], /--seed/],
    [["a.gguf", "--seed", "1.5"], /--seed must be an integer/],
    [["a.gguf", "--seed", "4294967296"], /--seed must be between/],
    [["a.gguf", "--type", "q4_0"], /--type must be one of f32, f16/],
    [["a.gguf", "--ctx", "0"], /--ctx must be between/],
    [["a.gguf", "--chat-template", "llama3"], /--chat-template must be one of/],
    [["a.gguf", "--defect", "nope"], /--defect must be one of/],
    [["a.gguf", "--name", " "], /--name must not be empty/],
    [["a.gguf", "--bogus"], /Unknown option '--bogus'/],
    [["a.gguf", "--size"], /argument missing/],
  ])("rejects %j", (argv, message) => {
    const parsed = parseMakeModelArgs(argv);
    expect(parsed.kind).toBe("error");
    if (parsed.kind === "error") expect(parsed.message).toMatch(message);
  });

  const builtCli = join(repoRoot, "dist/scripts/make-model.js");
  it.skipIf(!existsSync(builtCli))("the built CLI exits 2 on bad arguments and 0 on success", async () => {
    const bad = await runNode([builtCli, join(tmp, "cli.gguf"), "--size", "huge"], 10_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--size must be one of");
    const good = await runNode([builtCli, join(tmp, "cli.gguf"), "--seed", "3"], 10_000);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("sha256");
    expect(existsSync(join(tmp, "cli.gguf"))).toBe(true);
  }, 20_000);
});
