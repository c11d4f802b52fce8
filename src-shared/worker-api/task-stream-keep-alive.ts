/**
 * How often a worker's task stream carries a keep-alive comment when it has nothing else to send
 * (waiting for a slot, a long prefill). The orchestrator gives up on a stream silent for several of
 * these (`worker_stream_idle_ms`): a one-way partition cannot hold a task forever.
 */
export const WORKER_TASK_KEEP_ALIVE_MS = 1000;
