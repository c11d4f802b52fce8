#!/usr/bin/env node
// The floor the benchmarks compare against: bare node:http that reads and JSON-parses each request
// body and answers `reply` with `status`. Usage: node bench/bare-http-server.mjs <status> '<json>'
import { createServer } from "node:http";

const status = Number(process.argv[2] ?? 200);
const reply = process.argv[3] ?? "{}";
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (chunks.length > 0) JSON.parse(Buffer.concat(chunks).toString("utf8"));
    res.writeHead(status, { "content-type": "application/json" });
    res.end(reply);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${server.address().port}`));
