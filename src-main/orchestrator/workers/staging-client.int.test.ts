import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StagingCallError, StagingClient } from "./staging-client.js";

// A target that is no worker agent (a proxy's page, a fake node): the staging job's error says what
// it answered, not a JSON parser's "Unexpected token" or a schema dump.
let server: Server;
let base = "";
const answers: Record<string, { status: number; body: string }> = {
  "/a/v2/models/ab/pull": { status: 200, body: "nope" },
  "/b/v2/models/ab/pull": { status: 200, body: JSON.stringify({ phase: "dancing" }) },
  "/c/v2/models/ab/pull": { status: 503, body: "<html>Service Unavailable</html>" },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = answers[req.url ?? ""] ?? { status: 404, body: "" };
    res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const failure = async (prefix: string): Promise<StagingCallError> => {
  const error: unknown = await new StagingClient(`${base}${prefix}`, "t").pullStatus("ab").then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof StagingCallError)) throw new Error(`expected a StagingCallError, got ${String(error)}`);
  return error;
};

describe("StagingClient against a target that is no worker agent", () => {
  it("a 200 that is not JSON is the node's fault, quoted", async () => {
    const error = await failure("/a");
    expect(error.status).toBe(502);
    expect(error.message).toBe(`worker at ${base}/a answered 200 with a body that is not JSON: "nope"`);
  });

  it("a JSON answer the worker API does not describe names the field", async () => {
    const error = await failure("/b");
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/answered a body the worker API does not describe \(\w+: /);
  });

  it("a refusal with an HTML page keeps its status", async () => {
    const error = await failure("/c");
    expect(error.status).toBe(503);
    expect(error.message).toContain("answered 503 with a body that is not JSON");
  });
});
