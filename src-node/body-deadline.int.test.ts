// The body deadline's one shared sweep (body-deadline.ts): each stalled body is cut at its own
// deadline (never before it, and within one sweep interval after it, plus scheduling slack), bodies
// that arrive are answered, and the sweep starts again after it went idle.
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback, type ListeningApp } from "../test-support/listening-app.js";
import { slowBody, statusOf } from "../test-support/hostile-http.js";
import { waitFor } from "../test-support/wait-for.js";
import { bodyDeadline, sweepIntervalMs, uploadRate } from "./body-deadline.js";

const BODY_TIMEOUT_MS = 600;
const SLACK_MS = 1000;
const LIMITS = { bodyTimeoutMs: BODY_TIMEOUT_MS, uploadMinBytes: 1024, uploadIntervalMs: 500 };

let listening: ListeningApp;
let url = "";
/** How each streamed upload's read of its body ended ("pending" while it still waits for bytes). */
const uploadReads: string[] = [];
beforeAll(async () => {
  const app = express();
  app.use(bodyDeadline(LIMITS));
  app.post("/echo", express.json(), (req, res) => {
    res.json({ got: req.body as unknown });
  });
  app.post("/v1/echo", express.json(), (req, res) => {
    res.json({ got: req.body as unknown });
  });
  // A streamed upload as the model store reads one: the handler iterates the request body.
  app.put("/upload", uploadRate(LIMITS), (req, res) => {
    const at = uploadReads.push("pending") - 1;
    void (async () => {
      let bytes = 0;
      try {
        for await (const chunk of req) bytes += (chunk as Buffer).byteLength;
        uploadReads[at] = `ended with ${bytes} bytes`;
        res.json({ bytes });
      } catch (error) {
        uploadReads[at] = `failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    })();
  });
  listening = await listenOnLoopback(app);
  url = listening.url;
});
afterAll(async () => {
  await listening.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const latest = BODY_TIMEOUT_MS + sweepIntervalMs(BODY_TIMEOUT_MS) + SLACK_MS;

describe("body deadline (one sweep for every pending body)", () => {
  it("sweeps at a tenth of the deadline, between 10 ms and 1 s", () => {
    expect(sweepIntervalMs(30_000)).toBe(1000);
    expect(sweepIntervalMs(600)).toBe(60);
    expect(sweepIntervalMs(50)).toBe(10);
  });

  it("cuts each of two stalled bodies at its own deadline, the later one not at the earlier one's", async () => {
    const first = slowBody(url, "POST", "/echo", { "content-type": "application/json" }, 10_000, 50, 10_000);
    await sleep(BODY_TIMEOUT_MS / 2);
    const second = slowBody(url, "POST", "/echo", { "content-type": "application/json" }, 10_000, 50, 10_000);
    for (const o of await Promise.all([first, second])) {
      // The whole answer in the message: a 400 here once (Node 24, load 15) left no trace of who sent it.
      expect(statusOf(o.received), o.received).toBe(408);
      expect(o.received).toContain("REQUEST_TIMEOUT");
      expect(o.closedAfterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS);
      expect(o.closedAfterMs).toBeLessThan(latest);
    }
  });

  it("answers the 408 in the shape of the request's surface: OpenAI's under /v1, Anthropic's with anthropic-version", async () => {
    const openai = await slowBody(url, "POST", "/v1/echo", { "content-type": "application/json" }, 10_000, 50, 10_000);
    expect(statusOf(openai.received)).toBe(408);
    expect(JSON.parse(openai.received.slice(openai.received.indexOf("\r\n\r\n") + 4))).toMatchObject({ error: { code: "REQUEST_TIMEOUT", type: expect.any(String) as unknown } });
    const anthropic = await slowBody(url, "POST", "/v1/echo", { "content-type": "application/json", "anthropic-version": "2023-06-01" }, 10_000, 50, 10_000);
    expect(JSON.parse(anthropic.received.slice(anthropic.received.indexOf("\r\n\r\n") + 4))).toMatchObject({ type: "error", error: { type: expect.any(String) as unknown } });
  });

  it("answers bodies that arrive, then cuts a stalled one after the sweep went idle", async () => {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ i }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ got: { i } });
    }
    // Long enough for a sweep to find nothing pending and stop.
    await sleep(3 * sweepIntervalMs(BODY_TIMEOUT_MS));
    const o = await slowBody(url, "POST", "/echo", { "content-type": "application/json" }, 10_000, 50, 10_000);
    expect(statusOf(o.received)).toBe(408);
    expect(o.closedAfterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS);
    expect(o.closedAfterMs).toBeLessThan(latest);
  });

  it("ends a stalled upload's read of its body when it is cut (no handler left waiting on a 408'd request)", async () => {
    const before = uploadReads.length;
    // One byte every 100 ms: below the upload's minimum rate (1024 bytes per 500 ms), so it is cut with 408.
    const o = await slowBody(url, "PUT", "/upload", { "content-type": "application/octet-stream" }, 1_000_000, 100, 10_000);
    expect(statusOf(o.received)).toBe(408);
    expect(o.received).toContain("fewer than 1024 bytes");
    // Before: the 408 finished, the socket closed, and the handler's `for await` over the body never settled
    // (an upload's part file stayed open and on disk for the life of the process).
    await waitFor("the handler's read of the cut body to settle", () => uploadReads[before] !== undefined && uploadReads[before] !== "pending", 5000);
    expect(uploadReads[before]).toMatch(/^failed: /);
  });
});
