// Integration test files that need a fork (a module graph) of their own, where the others share theirs:
// `vi.mock` only replaces a module that is not loaded yet (in a shared fork an earlier file may have loaded it),
// and a replaced module would stay replaced for the next file; a file that changes process.env or process-wide
// state would leave it to the next; a file that measures the process's heap would count what earlier files left.
// `own-fork-tests.test.ts` finds such files and fails when one is missing here.
export const OWN_FORK_TESTS: readonly string[] = [
  "src-main/orchestrator/replaced-task-wait.int.test.ts",
  "src-main/orchestrator/deep-queue-blip.int.test.ts",
  "src-main/orchestrator/in-place-on-node.int.test.ts",
  "src-main/orchestrator/task-memory.int.test.ts",
  "src-main/orchestrator/running-placement-memory.int.test.ts",
];
