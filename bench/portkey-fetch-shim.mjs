// Loaded into the Portkey gateway's process only (node --import bench/portkey-fetch-shim.mjs), two
// changes and nothing else:
// 1. Portkey 1.15.2 on Node appends its x-portkey-* headers to the upstream fetch() Response, whose
//    headers are immutable, so every streaming request fails with "TypeError: immutable"
//    (Portkey-AI/gateway#1550 and #1389; the proposed fix, PR #1551, clones the response first). The
//    same clone is done here, for every upstream response.
// 2. Its server has no host option and listens on every interface; the benchmarks bind loopback only.
import { Server } from "node:net";

const upstreamFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const res = await upstreamFetch(...args);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: new Headers(res.headers) });
};

const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  return listen.apply(this, args);
};
