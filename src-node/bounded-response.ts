/**
 * A fetch Response's body as text, at most `maxBytes`: past it the body is canceled (the connection is
 * dropped) and this throws. The orchestrator reads what nodes answer with it: a node is whoever holds a
 * `worker` key, and `res.text()` / `res.json()` buffered whatever it sent, however large, in the
 * orchestrator's memory (security adversary, 2026-11-30; worker-answers.int.test.ts).
 */
export async function readBoundedText(res: Response, maxBytes: number): Promise<string> {
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new AnswerTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** JSON of a bounded body; null when it is empty or not JSON (a too large body still throws). */
export async function readBoundedJson(res: Response, maxBytes: number): Promise<unknown> {
  const text = await readBoundedText(res, maxBytes);
  try {
    return text === "" ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

export class AnswerTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`answer larger than ${maxBytes} bytes`);
  }
}
