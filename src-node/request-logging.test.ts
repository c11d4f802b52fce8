import { EventEmitter } from "node:events";
import type { NextFunction, Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { requestLogging, type ServerLogger } from "./request-logging.js";

// The per-request log line: a 5xx is always a warning; other requests are logged at debug, and their
// entry is not built at all when the logger says debug is off (a logger without the check still gets it).
function recorder(debugOn: boolean | undefined): ServerLogger & { lines: { level: string; obj: object }[] } {
  const lines: { level: string; obj: object }[] = [];
  return {
    lines,
    debug: (obj) => lines.push({ level: "debug", obj }),
    warn: (obj) => lines.push({ level: "warn", obj }),
    error: (obj) => lines.push({ level: "error", obj }),
    ...(debugOn !== undefined ? { isLevelEnabled: (level: string) => level !== "debug" || debugOn } : {}),
  };
}

function finishRequest(logger: ServerLogger, status: number): void {
  const res = Object.assign(new EventEmitter(), { locals: {}, statusCode: 0, setHeader: () => undefined }) as unknown as Response;
  const req = { headers: {}, method: "POST", path: "/v2/tasks" } as unknown as Request;
  let nexted = false;
  requestLogging(logger)(req, res, (() => (nexted = true)) as NextFunction);
  expect(nexted).toBe(true);
  res.statusCode = status;
  res.emit("finish");
}

describe("requestLogging", () => {
  it("builds no debug entry when debug is off, and still warns on a 5xx", () => {
    const logger = recorder(false);
    finishRequest(logger, 202);
    finishRequest(logger, 503);
    expect(logger.lines).toEqual([{ level: "warn", obj: expect.objectContaining({ method: "POST", path: "/v2/tasks", status: 503 }) as object }]);
  });

  it("logs every request at debug when debug is on, or when the logger cannot tell", () => {
    for (const debugOn of [true, undefined]) {
      const logger = recorder(debugOn);
      finishRequest(logger, 202);
      expect(logger.lines).toEqual([{ level: "debug", obj: expect.objectContaining({ method: "POST", path: "/v2/tasks", status: 202 }) as object }]);
    }
  });
});
