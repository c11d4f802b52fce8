import type { Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchDeadPeer } from "./dead-peer-watch.js";
import type { SendQueueReader } from "./tcp-send-queue.js";

// The shared dead-peer sweep: the kernel's send queue (/proc, costly) is asked only about suspects,
// sockets that handed the kernel bytes since they were last seen with nothing outstanding; the verdicts
// stay those of the per-stream check it replaced (dead after the limit with no acknowledged progress).
const INTERVAL = 100;
const LIMIT = 1_000;

interface FakeSocket {
  bytesWritten: number;
  writableLength: number;
  unacked: number;
}

function fakeQueues(): SendQueueReader & { asked: FakeSocket[] } {
  const asked: FakeSocket[] = [];
  return {
    asked,
    unacked(socket: Socket) {
      const s = socket as unknown as FakeSocket;
      asked.push(s);
      return s.unacked;
    },
  };
}

function watch(s: FakeSocket, queues: SendQueueReader): { dead: () => boolean; stop: () => void } {
  let dead = false;
  const stop = watchDeadPeer(
    {
      socket: () => s as unknown as Socket,
      onDead: () => {
        dead = true;
      },
    },
    LIMIT,
    INTERVAL,
    queues,
  );
  return { dead: () => dead, stop };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("watchDeadPeer", () => {
  it("asks the kernel only about sockets that handed it bytes since they were last clean", () => {
    const queues = fakeQueues();
    const idle: FakeSocket = { bytesWritten: 500, writableLength: 0, unacked: 0 };
    const quiet: FakeSocket = { bytesWritten: 0, writableLength: 0, unacked: 0 };
    const a = watch(idle, queues);
    const b = watch(quiet, queues);
    vi.advanceTimersByTime(INTERVAL);
    expect(queues.asked).toEqual([idle]); // quiet never handed anything
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(queues.asked).toEqual([idle]); // idle was seen clean: nothing new to confirm
    idle.bytesWritten += 4; // a keep-alive
    vi.advanceTimersByTime(INTERVAL);
    expect(queues.asked).toEqual([idle, idle]);
    expect(a.dead() || b.dead()).toBe(false);
    a.stop();
    b.stop();
  });

  it("judges a socket with bytes in Node's buffer without the kernel, and closes it after the limit", () => {
    const queues = fakeQueues();
    const stalled: FakeSocket = { bytesWritten: 10_000, writableLength: 4_000, unacked: 6_000 };
    const w = watch(stalled, queues);
    vi.advanceTimersByTime(LIMIT);
    expect(w.dead()).toBe(false);
    vi.advanceTimersByTime(2 * INTERVAL);
    expect(w.dead()).toBe(true);
    expect(queues.asked).toEqual([]);
  });

  it("closes a socket whose kernel bytes stay unacknowledged, and keeps one whose peer acknowledges", () => {
    const queues = fakeQueues();
    const vanished: FakeSocket = { bytesWritten: 100, writableLength: 0, unacked: 100 };
    const slow: FakeSocket = { bytesWritten: 100, writableLength: 0, unacked: 100 };
    const v = watch(vanished, queues);
    const s = watch(slow, queues);
    for (let i = 0; i < 30; i++) {
      vanished.bytesWritten += 4; // keep-alives pile up in the kernel, none acknowledged
      vanished.unacked += 4;
      slow.bytesWritten += 4;
      slow.unacked = Math.max(4, slow.unacked - 10); // acknowledged, slowly: always something outstanding
      vi.advanceTimersByTime(INTERVAL);
    }
    expect(v.dead()).toBe(true);
    expect(s.dead()).toBe(false);
    s.stop();
  });

  it("never closes a live socket whose every byte is acknowledged, however long it runs", () => {
    const queues = fakeQueues();
    const live: FakeSocket = { bytesWritten: 0, writableLength: 0, unacked: 0 };
    const w = watch(live, queues);
    for (let i = 0; i < 50; i++) {
      live.bytesWritten += 4;
      vi.advanceTimersByTime(INTERVAL);
    }
    expect(w.dead()).toBe(false);
    w.stop();
  });
  it("is not fooled by a step of the wall clock: a socket stuck for one sweep is not dead because Date.now() jumped", () => {
    const queues = fakeQueues();
    const slow: FakeSocket = { bytesWritten: 100, writableLength: 0, unacked: 100 };
    const w = watch(slow, queues);
    vi.advanceTimersByTime(INTERVAL); // stuck from here (bytes outstanding, none acknowledged yet)
    vi.setSystemTime(Date.now() + 60_000); // NTP steps the clock 1 min forward
    vi.advanceTimersByTime(INTERVAL);
    expect(w.dead()).toBe(false);
    slow.unacked = 0; // the peer acknowledges: it was alive
    vi.advanceTimersByTime(INTERVAL);
    expect(w.dead()).toBe(false);
    w.stop();
  });
});
