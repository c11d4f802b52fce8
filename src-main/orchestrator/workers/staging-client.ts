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
    return this.call("POST", `/v2/models/${sha256}/pull`, request, signal).then((body) => ModelPullStatusSchema.parse(body));
  }

  pullStatus(sha256: string, signal?: AbortSignal): Promise<ModelPullStatus> {
    return this.call("GET", `/v2/models/${sha256}/pull`, undefined, signal).then((body) => ModelPullStatusSchema.parse(body));
  }

  async cancelPull(sha256: string): Promise<void> {
    await this.call("DELETE", `/v2/models/${sha256}/pull`);
  }

  /** The node serves a file on its machine from where it is (no copy). */
  useInPlace(path: string): Promise<InPlaceModelResponse> {
    return this.call("POST", "/v2/models/in-place", { path }).then((body) => InPlaceModelResponseSchema.parse(body));
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
    const json: unknown = text === "" ? null : JSON.parse(text);
    if (res.ok) return json;
    const envelope = ErrorEnvelopeSchema.safeParse(json);
    throw new StagingCallError(res.status, envelope.success ? envelope.data : null, `worker answered ${res.status}${envelope.success ? ` ${envelope.data.code}: ${envelope.data.message}` : ""}`);
  }
}
