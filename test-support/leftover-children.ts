// Setup file of the integration tests that share a fork (vitest `isolate: false`). An isolated fork exits after
// its file, and the harnesses' `exit` handlers kill whatever the file left running; a shared fork lives on, so a
// process a file forgot (or a failed test left) would keep running beside every later file. After each file,
// its leftover child processes are killed and named on stderr, as the fork's exit would have done.
import { readFileSync, readdirSync } from "node:fs";
import { afterAll, expect } from "vitest";

/** Child pids of this process (every thread's), without zombies (already dead, waiting to be reaped). */
function livingChildren(): number[] {
  const pids: number[] = [];
  let threads: string[] = [];
  try {
    threads = readdirSync("/proc/self/task");
  } catch {
    return []; // not Linux: nothing to look at
  }
  for (const tid of threads) {
    let list = "";
    try {
      list = readFileSync(`/proc/self/task/${tid}/children`, "utf8");
    } catch {
      continue;
    }
    for (const pid of list.trim().split(/\s+/).filter((p) => p !== "").map(Number)) {
      try {
        if (!/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) pids.push(pid);
      } catch {
        // gone meanwhile
      }
    }
  }
  return pids;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 200);
  } catch {
    return "?";
  }
}

afterAll(async () => {
  let left = livingChildren();
  // A child being stopped right now (its exit not yet seen by this process) gets a moment to go.
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    left = livingChildren();
  }
  const file = expect.getState().testPath ?? "a test file";
  for (const pid of left) {
    process.stderr.write(`leftover child process ${pid} (${commandOf(pid)}) of ${file}: killed\n`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
});
