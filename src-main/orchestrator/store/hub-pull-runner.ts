import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { HubPull } from "../../../src-shared/catalog/hub-pull.js";
import { GgufHeadReader, type GgufHeadStep } from "../../../src-shared/gguf/gguf-head-reader.js";
import type { GgufHeader } from "../../../src-shared/gguf/gguf-header.js";
import { freeBytes } from "./free-bytes.js";
import { truncation } from "./gguf-ingest.js";
import { announcedSha256 } from "./hub-ref.js";

const MIB = 1 << 20;
const MAX_REDIRECTS = 5;
const MAX_RESUMES = 20;

export interface PullTarget {
  url: URL;
  part: string;
  limit: number | null;
  signal: AbortSignal;
  /** A response that brings no bytes for this long is dropped (and resumed, as a broken connection). */
  stallTimeoutMs: number;
  /** Called on every change (progress is throttled by the caller). */
  onChange(): void;
}

/** An answer that another try will not change (no such file, no access): the pull fails at once. */
class HubRefusal extends Error {}

/** The hub's answer to a range request as an error; 4xx other than 408 and 429 are final. */
function answerError(status: number, url: URL): Error {
  if (status === 401 || status === 403) return new HubRefusal(`the hub refused access to ${url.href} (${status}): a gated or private repository needs a token, which llama-orch does not send; download the file and import it (PUT /v2/catalog/import)`);
  if (status === 404 || status === 410) return new HubRefusal(`the hub has no file at ${url.href} (${status}); check the owner, repository, revision and file name`);
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return new HubRefusal(`the hub answered ${status} to a range request for ${url.href}`);
  return new Error(`the hub answered ${status} to a range request`);
}

/** fetch's "fetch failed" with what actually failed (refused, unknown host, reset, timeout). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : null;
  const code = cause === null ? undefined : (cause as NodeJS.ErrnoException).code;
  return cause === null ? error.message : `${error.message}: ${code !== undefined && !cause.message.includes(code) ? `${code} ` : ""}${cause.message}`;
}

/** Follows the hub's redirects by hand, so the digest the first hop announces (X-Linked-Etag) is kept. */
async function rangeRequest(url: URL, start: number, end: number, signal: AbortSignal): Promise<{ res: Response; announced: string | null }> {
  let at = url;
  let announced: string | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetch(at, { headers: { range: `bytes=${start}-${end}`, "accept-encoding": "identity" }, redirect: "manual", signal });
    announced ??= announcedSha256(res.headers);
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || location === null) return { res, announced };
    await res.body?.cancel();
    at = new URL(location, at);
    // Only to another http(s) URL: fetch took file: for a network fault (retried for minutes) and
    // answered data: from inside this process.
    if (at.protocol !== "http:" && at.protocol !== "https:") throw new HubRefusal(`${url.href} redirects to a ${at.protocol} URL: only http(s) URLs are followed`);
  }
  // A loop (or a chain this long) answers the same way the next time: final, not retried 20 times.
  throw new HubRefusal(`${url.href} redirects more than ${MAX_REDIRECTS} times (a redirect loop?)`);
}

/**
 * What a 206 answer says about itself: `Content-Range: bytes <first>-<last>/<total>`. An answer for
 * other bytes than asked (a server that ignores the start) would be appended at the wrong offset.
 */
function checkedRange(res: Response, start: number, url: URL): { total: number | null } {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range")?.trim() ?? "");
  if (m === null) return { total: null };
  if (Number(m[1]) !== start) throw new HubRefusal(`${url.href} answered bytes ${m[1]}-${m[2]} to a request for bytes from ${start}`);
  return { total: m[3] === "*" ? null : Number(m[3]) };
}

/** The response body, given up on when it brings nothing for `ms` (an open connection gone silent). */
async function* withStallTimeout(body: AsyncIterable<Uint8Array>, ms: number, stall: AbortController): AsyncGenerator<Uint8Array> {
  let timer = setTimeout(() => stall.abort(), ms);
  try {
    for await (const chunk of body) {
      clearTimeout(timer);
      yield chunk;
      timer = setTimeout(() => stall.abort(), ms);
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Downloads one file into `part` with bounded Range requests from the part's size onward; a dropped
 * connection resumes from the bytes on disk (backing off), the cap paces reads. Then the whole part is
 * hashed and checked against the announced digest, and its head must read as GGUF.
 */
export async function runHubPull(pull: HubPull, t: PullTarget): Promise<GgufHeader> {
  pull.resumed_from = await stat(t.part).then((s) => s.size, () => 0);
  pull.bytes_done = pull.resumed_from;
  const started = performance.now();
  let paced = 0;
  let failures = 0;
  while (pull.size_bytes === null || pull.bytes_done < pull.size_bytes) {
    const start = pull.bytes_done;
    const segment = t.limit === null ? 16 * MIB : Math.min(16 * MIB, Math.max(MIB, Math.round(t.limit / 4)));
    // The stall timer aborts this request only; the pull's own signal (cancel, shutdown) aborts all.
    const stall = new AbortController();
    const signal = AbortSignal.any([t.signal, stall.signal]);
    let headersTimer: NodeJS.Timeout | undefined = setTimeout(() => stall.abort(), t.stallTimeoutMs);
    try {
      const { res, announced } = await rangeRequest(t.url, start, start + segment - 1, signal);
      clearTimeout(headersTimer);
      headersTimer = undefined;
      if (res.status === 416 && pull.size_bytes === null) break;
      if (res.status >= 200 && res.status < 300 && res.status !== 206) {
        await res.body?.cancel();
        // A login page, an error page or a server without Range support: asking again changes nothing.
        throw new HubRefusal(`${t.url.href} answered ${res.status} (${res.headers.get("content-type") ?? "no content type"}) to a range request: not a file served with Range support (a login or error page?)`);
      }
      if (res.status !== 206 || res.body === null) {
        await res.body?.cancel();
        throw answerError(res.status, t.url);
      }
      pull.expected_sha256 ??= announced;
      const { total } = checkedRange(res, start, t.url);
      if (total !== null && total !== pull.size_bytes) {
        // Checked before a byte is written: a hub announcing more than the store's disk holds (or a
        // lying 10 TB) is refused at once instead of filling the orchestrator's disk.
        const free = await freeBytes(dirname(t.part));
        if (total - start > free) {
          await res.body.cancel();
          throw new HubRefusal(`not enough free disk in the orchestrator's model store: the hub announces ${total} bytes (${total - start} still to fetch), ${free} free`);
        }
        pull.size_bytes = total;
      }
      const file = await open(t.part, "a");
      try {
        for await (const chunk of withStallTimeout(res.body, t.stallTimeoutMs, stall)) {
          if (pull.size_bytes !== null && pull.bytes_done + chunk.length > pull.size_bytes) throw new HubRefusal(`${t.url.href} sent more than the ${pull.size_bytes} bytes it announced`);
          await file.write(chunk);
          pull.bytes_done += chunk.length;
          pull.bytes_transferred += chunk.length;
          paced += chunk.length;
          if (t.limit !== null) {
            const due = started + (paced / t.limit) * 1000 - performance.now();
            if (due > 0) await sleep(due, undefined, { signal: t.signal });
          }
          t.onChange();
        }
      } finally {
        await file.close();
      }
      pull.state = "transferring";
      pull.error = null;
    } catch (error) {
      clearTimeout(headersTimer);
      if (t.signal.aborted || error instanceof HubRefusal) throw error;
      failures += 1;
      const reason = stall.signal.aborted ? `the hub sent nothing for ${t.stallTimeoutMs} ms (hub_stall_timeout_ms); resuming from byte ${pull.bytes_done}` : reasonOf(error);
      // A redirect to a blocked port: fetch refuses it on every attempt.
      if (/: bad port$/.test(reason)) throw new HubRefusal(`${reason}: a redirect led to a port on the Fetch standard's blocked list, which fetch never connects to`);
      if (failures > MAX_RESUMES) {
        throw new Error(pull.bytes_transferred === 0 ? `gave up after ${MAX_RESUMES} tries, the hub never sent a byte: ${reason}` : `gave up after ${MAX_RESUMES} broken connections: ${reason}`);
      }
      pull.resumes += 1;
      pull.state = "retrying";
      pull.error = reason;
      t.onChange();
      await sleep(Math.min(5000, 250 * 2 ** (failures - 1)), undefined, { signal: t.signal });
    }
  }
  return verify(pull, t);
}

async function verify(pull: HubPull, t: PullTarget): Promise<GgufHeader> {
  pull.state = "verifying";
  t.onChange();
  const hash = createHash("sha256");
  const head = new GgufHeadReader();
  let step: GgufHeadStep = { state: "more" };
  let size = 0;
  for await (const chunk of createReadStream(t.part, { highWaterMark: MIB })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
    // Only the head is kept, and only until the header reads completely.
    if (step.state === "more") step = head.push(chunk as Buffer);
  }
  pull.sha256 = hash.digest("hex");
  if (step.state === "more") step = head.end();
  if (pull.expected_sha256 !== null && pull.sha256 !== pull.expected_sha256) {
    await rm(t.part, { force: true });
    throw new Error(`the file hashes to ${pull.sha256}, not the announced ${pull.expected_sha256}; partial file deleted`);
  }
  const problem = step.state === "read" ? truncation(size, step.header) : step.state === "refused" ? step.error : "the header is cut short";
  if (problem !== null) {
    await rm(t.part, { force: true });
    throw new Error(`not a usable GGUF model: ${problem}`);
  }
  if (step.state !== "read") throw new Error("not a usable GGUF model: the header is cut short");
  return step.header;
}
