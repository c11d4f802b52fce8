import type { z } from "zod";
import { readBoundedText } from "../../../src-node/bounded-response.js";
import { NODE_ANSWER_MAX_BYTES } from "./worker-client.js";
import { ErrorEnvelopeSchema, type ErrorEnvelope } from "../../../src-shared/errors/error-envelope.js";
import type { FetchLike } from "../../../src-node/tls/cluster-fetch.js";
import { InPlaceModelResponseSchema, type InPlaceModelResponse } from "../../../src-shared/worker-api/in-place-model.js";
import { ModelPullStatusSchema, type ModelPullRequest, type ModelPullStatus } from "../../../src-shared/staging/model-pull.js";

/** The worker's answer when it is not a success: its HTTP status and error envelope; status 0 = unreachable. */
export class StagingCallError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: ErrorEnvelope | null,
    message: string,
  ) {
    super(message);
  }

  get unreachable(): boolean {
    return this.status === 0;
  }
}

const CALL_TIMEOUT_MS = 10_000;

/** Staging calls to one worker agent: start, poll and cancel pulls, delete a model. */
export class StagingClient {
  constructor(
    private readonly address: string,
    private readonly token: string,
    private readonly fetch: FetchLike = globalThis.fetch,
  ) {}

  startPull(sha256: string, request: ModelPullRequest, signal?: AbortSignal): Promise<ModelPullStatus> {
    return this.call("POST", `/v2/models/${sha256}/pull`, request, signal).then((body) => this.answer(ModelPullStatusSchema, body));
  }

  pullStatus(sha256: string, signal?: AbortSignal): Promise<ModelPullStatus> {
    return this.call("GET", `/v2/models/${sha256}/pull`, undefined, signal).then((body) => this.answer(ModelPullStatusSchema, body));
  }

  async cancelPull(sha256: string): Promise<void> {
    await this.call("DELETE", `/v2/models/${sha256}/pull`);
  }

  /** The node serves a file on its machine from where it is (no copy). */
  useInPlace(path: string): Promise<InPlaceModelResponse> {
    return this.call("POST", "/v2/models/in-place", { path }).then((body) => this.answer(InPlaceModelResponseSchema, body));
  }

  /** A success body the worker API does not describe: the node's fault, said as such (not a parser's message). */
  private answer<T>(schema: z.ZodType<T>, body: unknown): T {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new StagingCallError(502, null, `worker at ${this.address} answered a body the worker API does not describe (${issue === undefined ? "invalid" : `${issue.path.join(".") || "body"}: ${issue.message}`})`);
  }

  async deleteModel(sha256: string): Promise<void> {
    await this.call("DELETE", `/v2/models/${sha256}`);
  }

  private async call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
    let res: Response;
    try {
      res = await this.fetch(`${this.address}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new StagingCallError(0, null, `cannot reach worker at ${this.address}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Bounded: a hostile node could answer a status poll with gigabytes.
    const text = await readBoundedText(res, NODE_ANSWER_MAX_BYTES).catch((error: unknown) => {
      throw new StagingCallError(res.status, null, `worker at ${this.address}: ${error instanceof Error ? error.message : String(error)}`);
    });
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      // A proxy's error page or a process that is no worker agent: its status and the start of its body.
      const start = text.slice(0, 80).replace(/[\x00-\x1f\x7f-\x9f]+/g, " ");
      throw new StagingCallError(res.ok ? 502 : res.status, null, `worker at ${this.address} answered ${res.status} with a body that is not JSON: ${JSON.stringify(start)}${text.length > 80 ? "…" : ""}`);
    }
    if (res.ok) return json;
    const envelope = ErrorEnvelopeSchema.safeParse(json);
    throw new StagingCallError(res.status, envelope.success ? envelope.data : null, `worker answered ${res.status}${envelope.success ? ` ${envelope.data.code}: ${envelope.data.message}` : ""}`);
  }
}
