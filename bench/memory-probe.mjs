// Preloaded into a benchmarked process (`node --expose-gc --import ./bench/memory-probe.mjs ...`), benchmarks
// only: on SIGUSR2 it runs a full GC and prints one line `memory-probe {json}` on stderr with
// process.memoryUsage() (rss, heapTotal, heapUsed, external, arrayBuffers) in MiB, so a benchmark can
// tell V8's heap from native memory (sockets' buffers, libsql, the allocator) at chosen moments.
const mib = (b) => Math.round((b / 1024 / 1024) * 10) / 10;
process.on("SIGUSR2", () => {
  if (typeof globalThis.gc === "function") {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  process.stderr.write(`memory-probe ${JSON.stringify({ rss: mib(m.rss), heapTotal: mib(m.heapTotal), heapUsed: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) })}\n`);
});
