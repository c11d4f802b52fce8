import { NodeListResponseSchema } from "../src-shared/nodes/node-info.js";
import { StagingJobSchema, type StagingJob } from "../src-shared/staging/staging-job.js";
import type { TestOrchestrator } from "./orchestrator-harness.js";

/** The API calls staging tests make, on whatever orchestrator `current` returns (tests restart theirs). */
export function stagingCalls(current: () => TestOrchestrator) {
  const json = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> => {
    const res = await current().api(path, init);
    const text = await res.text();
    return { status: res.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
  };
  /** The model sha256s an Online node reports; [] while it is not Online. */
  const reported = async (nodeId: string): Promise<string[]> => {
    const nodes = NodeListResponseSchema.parse((await json("/v2/nodes")).body).nodes;
    return nodes.find((n) => n.node_id === nodeId && n.status === "Online")?.models.map((m) => m.sha256) ?? [];
  };
  const job = async (id: string): Promise<StagingJob> => StagingJobSchema.parse((await json(`/v2/catalog/jobs/${id}`)).body);
  return { json, reported, job };
}
