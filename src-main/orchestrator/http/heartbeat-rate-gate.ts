import type { NextFunction, Request, RequestHandler, Response } from "express";
import { errorEnvelope } from "../../../src-shared/errors/error-envelope.js";
import { sendError } from "../../../src-node/error-sender.js";
import type { Identity } from "../../../src-node/route-context.js";
import { HEARTBEAT_HOLD_REFUSED, HEARTBEAT_PASS, type NodeService } from "../app/node-service.js";

/**
 * How long at most a refused heartbeat's answer is held. Answering at once, the refusals of one node
 * beating in a loop still cost ~60 µs each (mostly the socket write: ~9,000 a second took half a core);
 * held for the interval the node should have waited, each of its connections gets one answer a
 * second, so a loop over keep-alive connections is slowed to the pace it was told.
 */
const MAX_HOLD_MS = 2000;

/**
 * The heartbeat route's step between auth and body: a node past its per-node rate is answered
 * 429 NODE_RATE_LIMITED (Retry-After, X-Backoff-Ms, and the interval it was told), held for that
 * interval, without its body being read or parsed and without touching the registry; node:http discards
 * the unread body, so the keep-alive connection stays usable. A credential sending beats that will be
 * refused anyway (unknown ids, another credential's nodes) past that rate has them handled an interval
 * later. Every other heartbeat goes on unchanged, at once (NodeService.heartbeatVerdict).
 */
export function heartbeatRateGate(nodes: NodeService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const nodeId = req.params["id"];
    const identity = res.locals["identity"] as Identity | undefined;
    if (typeof nodeId !== "string" || identity === undefined) return next();
    const verdict = nodes.heartbeatVerdict(nodeId, identity);
    if (verdict === HEARTBEAT_PASS) return next();
    if (verdict === HEARTBEAT_HOLD_REFUSED) {
      // Answered as before (404 / 409), an interval later: a loop sending them slows to the pace it was told.
      const held = setTimeout(next, Math.min(nodes.toldIntervalMs(nodeId), MAX_HOLD_MS));
      res.once("close", () => clearTimeout(held));
      return;
    }
    const wait = verdict;
    const interval = nodes.toldIntervalMs(nodeId);
    // No OrchError: capturing a stack for every refusal was a tenth of the flood's cost.
    const envelope = errorEnvelope("NODE_RATE_LIMITED", `node ${nodeId} heartbeats faster than its interval (${interval} ms) allows; this beat was not processed: beat every next_heartbeat_ms`, { retry_after_ms: Math.max(wait, interval), details: { reason: "heartbeat_rate", next_heartbeat_ms: interval } });
    const timer = setTimeout(() => sendError(res, 429, envelope), Math.min(interval, MAX_HOLD_MS));
    res.once("close", () => clearTimeout(timer));
  };
}
