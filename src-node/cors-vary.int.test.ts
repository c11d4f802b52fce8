// The CORS policy's Vary on a real express response (cors-policy.ts sets `Vary: Origin` itself when
// none is set, instead of express's res.vary): the header is what res.vary gives in every order.
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback, type ListeningApp } from "../test-support/listening-app.js";
import { corsPolicy } from "./cors-policy.js";

let listening: ListeningApp;
let url = "";
beforeAll(async () => {
  const app = express();
  app.use("/before", (_req, res, next) => {
    res.vary("Accept-Encoding");
    next();
  });
  app.use(corsPolicy({ allowedOrigins: () => ["http://app.example:3000"], allowLocalhost: () => false }));
  app.get("/plain", (_req, res) => {
    res.json({});
  });
  app.get("/before", (_req, res) => {
    res.json({});
  });
  app.get("/after", (_req, res) => {
    res.vary("Origin").vary("Accept");
    res.json({});
  });
  listening = await listenOnLoopback(app);
  url = listening.url;
});
afterAll(async () => {
  await listening.close();
});

const varyOf = async (path: string, origin?: string) => (await fetch(`${url}${path}`, { headers: origin === undefined ? {} : { origin } })).headers.get("vary");

describe("CORS policy's Vary", () => {
  it("is Origin alone, with or without an Origin, listed or not", async () => {
    expect(await varyOf("/plain")).toBe("Origin");
    expect(await varyOf("/plain", "http://app.example:3000")).toBe("Origin");
    expect(await varyOf("/plain", "http://other.example")).toBe("Origin");
  });

  it("appends Origin to a Vary set before it, and later fields append to it without repeating Origin", async () => {
    expect(await varyOf("/before", "http://app.example:3000")).toBe("Accept-Encoding, Origin");
    expect(await varyOf("/after", "http://app.example:3000")).toBe("Origin, Accept");
  });
});
