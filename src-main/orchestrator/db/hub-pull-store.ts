import { z } from "zod";
import { HubPullRequestSchema, HubPullSchema, type HubPull, type HubPullRequest } from "../../../src-shared/catalog/hub-pull.js";
import type { Db } from "./database.js";
import { bestEffort, type WriteFailureReporter } from "./write-failure-reporter.js";

const Row = z.object({ request_json: z.string(), record_json: z.string() });

export interface StoredHubPull {
  pull: HubPull;
  request: HubPullRequest;
}

const UNFINISHED = `('transferring', 'retrying', 'verifying')`;

/** Hub pulls, saved on every state change (and now and then while bytes arrive). */
export class HubPullStore {
  /** `report`: saves go on from memory when the database refuses them (bestEffort); without it they throw. */
  constructor(
    private readonly db: Db,
    private readonly report?: WriteFailureReporter,
  ) {}

  save(pull: HubPull, request: HubPullRequest): void {
    if (this.report !== undefined) bestEffort("hub pull", this.report, () => this.write(pull, request));
    else this.write(pull, request);
  }

  private write(pull: HubPull, request: HubPullRequest): void {
    this.db
      .prepare(
        `INSERT INTO hub_pulls (pull_id, state, request_json, record_json, created_at_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(pull_id) DO UPDATE SET state = excluded.state, record_json = excluded.record_json`,
      )
      .run(pull.pull_id, pull.state, JSON.stringify(request), JSON.stringify(pull), pull.created_at_ms);
  }

  /** Pulls an orchestrator stop or crash interrupted, oldest first. */
  unfinished(): StoredHubPull[] {
    return this.db.prepare(`SELECT request_json, record_json FROM hub_pulls WHERE state IN ${UNFINISHED} ORDER BY created_at_ms`).all().map(parse);
  }

  /** The newest finished pulls (shown again after a restart). */
  recentFinished(limit: number): StoredHubPull[] {
    return this.db.prepare(`SELECT request_json, record_json FROM hub_pulls WHERE state NOT IN ${UNFINISHED} ORDER BY created_at_ms DESC LIMIT ?`).all(limit).map(parse);
  }
}

function parse(raw: unknown): StoredHubPull {
  const row = Row.parse(raw);
  return { pull: HubPullSchema.parse(JSON.parse(row.record_json)), request: HubPullRequestSchema.parse(JSON.parse(row.request_json)) };
}
