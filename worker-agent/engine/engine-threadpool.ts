import { availableParallelism } from "node:os";

// node-llama-cpp runs every decode and every sampling step as a job on libuv's thread pool (4 threads
// by default): two jobs per token, each free to land on a different idle thread. On a machine of two
// cores those four threads only wait for a CPU, and a job that lands on a cold thread wakes it. With one
// pool thread the decode and the sampling of every token run on the same warm thread; measured on two
// cores (docs/PERFORMANCE.md, "Per-token cost of the node-llama-cpp engine"): 4 streams 1.06–1.23× as
// many tok/s, one stream 1.01–1.15×, CPU per token lower in 7–8 of 10 rounds. Not measured on more
// cores, where several streams' sampling jobs can run side by side, so larger machines keep the default.

/** The machine's cores as the agent started: engine pinning narrows the agent's own affinity later. */
const CORES_AT_START = availableParallelism();

/** Cores at or below which the engine child gets one thread-pool thread. */
export const SINGLE_POOL_THREAD_MAX_CORES = 2;

/**
 * The engine child's environment: UV_THREADPOOL_SIZE=1 on small machines unless the operator set
 * UV_THREADPOOL_SIZE (then theirs is kept).
 */
export function engineChildEnv(env: NodeJS.ProcessEnv, cores = CORES_AT_START): NodeJS.ProcessEnv {
  if (env["UV_THREADPOOL_SIZE"] !== undefined || cores > SINGLE_POOL_THREAD_MAX_CORES) return env;
  return { ...env, UV_THREADPOOL_SIZE: "1" };
}
