#!/usr/bin/env node
// The framework floor the admission benchmark compares against: express (the orchestrator's version)
// with express.json() and one POST route answering `reply` with `status`, no other middleware. The
// gap between this and bare node:http is express's own cost; the gap between this and the
// orchestrator is ours (auth, guards, validation, journal, queue). Usage: node bench/express-floor-server.mjs <status> '<json>'
import express from "express";

const status = Number(process.argv[2] ?? 200);
const reply = JSON.parse(process.argv[3] ?? "{}");
const app = express();
app.disable("x-powered-by");
app.set("etag", false);
app.post("/v2/tasks", express.json(), (req, res) => {
  if (typeof req.body !== "object") return void res.status(400).end();
  res.status(status).json(reply);
});
const server = app.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${server.address().port}`));
server.keepAliveTimeout = 60_000;
