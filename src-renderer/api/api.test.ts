import { describe, expect, it } from "vitest";
import { backoffMs, parseClusterFrame } from "./cluster-stream.js";
import { taskIdFromChunkId } from "./chat-stream.js";
import { ApiClient, type FetchLike } from "./client.js";
import { ApiError, apiErrorFromBody, toApiError } from "./errors.js";
import { SettingsSchema } from "../../src-shared/dashboard/settings.js";

const json = (status: number, body: unknown): Response => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("apiErrorFromBody", () => {
  it("reads the /v2 error envelope with its code, hint and validation issues", () => {
    const err = apiErrorFromBody(400, { code: "INVALID_PARAMS", message: "body.admission_capacity: too small", retriable: false, details: { issues: [{ path: ["admission_capacity"], message: "Too small: expected number to be >=1" }] } });
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "INVALID_PARAMS", status: 400, message: "body.admission_capacity: too small" });
    expect(err.extra.issues).toEqual([{ path: ["admission_capacity"], message: "Too small: expected number to be >=1" }]);
    expect(err.isAuth).toBe(false);
  });

  it("marks 401 envelopes as auth errors (the login screen)", () => {
    const err = apiErrorFromBody(401, { code: "MISSING_TOKEN", message: "an Authorization: Bearer token is required", hint: "use the login link" });
    expect(err.isAuth).toBe(true);
    expect(err.extra.hint).toBe("use the login link");
  });

  it("reads the OpenAI error shape of /v1 routes, keeping our code", () => {
    expect(apiErrorFromBody(404, { error: { message: "no model x", type: "not_found_error", param: null, code: "MODEL_NOT_FOUND" } })).toMatchObject({ code: "MODEL_NOT_FOUND", status: 404, message: "no model x" });
    expect(apiErrorFromBody(500, { error: { message: "odd", type: "server_error", param: null, code: "SOMETHING_NEW" } }).code).toBe("HTTP_ERROR");
  });

  it("falls back to HTTP_ERROR for bodies that are not envelopes", () => {
    expect(apiErrorFromBody(502, undefined)).toMatchObject({ code: "HTTP_ERROR", status: 502 });
    expect(apiErrorFromBody(500, { code: "NOT_A_CODE", message: "x" }).code).toBe("HTTP_ERROR");
  });

  it("classifies thrown values", () => {
    expect(toApiError(new TypeError("Failed to fetch")).code).toBe("NETWORK_ERROR");
    expect(toApiError(new DOMException("aborted", "AbortError")).code).toBe("ABORTED");
    const e = new ApiError("CONFLICT", "busy", 409);
    expect(toApiError(e)).toBe(e);
  });
});

describe("ApiClient", () => {
  const settings = { placement_strategy: "least-loaded", admission_capacity: 100, admission_policy: "reject", session_token_budget: 0, profile: "home", bind_addr: "127.0.0.1:8080" };

  it("sends same-origin JSON requests and validates the response with zod", async () => {
    const seen: { input: string; init?: RequestInit }[] = [];
    const fetchImpl: FetchLike = async (input, init) => {
      seen.push({ input, ...(init ? { init } : {}) });
      return json(200, settings);
    };
    const client = new ApiClient(fetchImpl);
    await expect(client.updateSettings({ admission_capacity: 5 })).resolves.toEqual(settings);
    expect(seen[0]?.input).toBe("/v2/settings");
    expect(seen[0]?.init).toMatchObject({ method: "PUT", credentials: "same-origin", body: JSON.stringify({ admission_capacity: 5 }) });
  });

  it("throws BAD_RESPONSE when the body does not match the schema", async () => {
    const client = new ApiClient(async () => json(200, { nope: true }));
    await expect(client.request("/v2/settings", SettingsSchema)).rejects.toMatchObject({ code: "BAD_RESPONSE" });
  });

  it("throws the envelope's code and reports auth failures", async () => {
    const auth: ApiError[] = [];
    const client = new ApiClient(async () => json(401, { code: "BAD_TOKEN", message: "the credentials are not valid" }), (e) => auth.push(e));
    await expect(client.settings()).rejects.toMatchObject({ code: "BAD_TOKEN", status: 401 });
    expect(auth).toHaveLength(1);
  });

  it("accepts 204 without a body", async () => {
    const client = new ApiClient(async () => new Response(null, { status: 204 }));
    await expect(client.cancelTask("t")).resolves.toBeUndefined();
  });

  it("maps a network failure to NETWORK_ERROR", async () => {
    const client = new ApiClient(async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(client.apiKeys()).rejects.toMatchObject({ code: "NETWORK_ERROR", status: 0 });
  });
});

describe("stream helpers", () => {
  it("parses known cluster frames and ignores unknown or malformed ones", () => {
    expect(parseClusterFrame("node_removed", JSON.stringify({ node_id: "a" }))).toEqual({ event: "node_removed", data: { node_id: "a" } });
    expect(parseClusterFrame("future_event", "{}")).toBeNull();
    expect(parseClusterFrame("node_removed", "{not json")).toBeNull();
    expect(parseClusterFrame("node_removed", JSON.stringify({}))).toBeNull();
  });

  it("backs off exponentially with jitter, capped at 15 s", () => {
    expect(backoffMs(1, () => 0.5)).toBe(500);
    expect(backoffMs(2, () => 0.5)).toBe(1000);
    expect(backoffMs(20, () => 0.5)).toBe(15_000);
    expect(backoffMs(1, () => 0)).toBe(400);
    expect(backoffMs(1, () => 1)).toBe(600);
  });

  it("gets the task id out of a chat completion chunk id", () => {
    expect(taskIdFromChunkId("chatcmpl-1234-abcd")).toBe("1234-abcd");
    expect(taskIdFromChunkId("cmpl-1")).toBeNull();
  });
});
