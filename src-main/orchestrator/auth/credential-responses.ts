import type { Request, Response } from "express";
import type { Authenticator } from "../../../src-node/authenticator.js";

/**
 * The responses still open per API key (`key:<id>`): long-lived streams (GET /v2/events, task and
 * compatible SSE streams, NDJSON) were authenticated once, when they opened. Revoking a key ends
 * them at once; before, a revoked `read` key kept receiving the cluster's events (nodes, addresses,
 * tasks) for as long as its stream stayed open (security adversary, 2026-11-30;
 * key-revocation.int.test.ts). Configured tokens change only with a restart, which ends every stream.
 */
export class CredentialResponses {
  private readonly open = new Map<string, Set<Response>>();

  /** Wraps an authenticator: every response an API key opens is tracked until it closes. */
  track(inner: Authenticator): Authenticator {
    return {
      authenticate: (req: Request, res: Response) => {
        const identity = inner.authenticate(req, res);
        if (identity.credentialId.startsWith("key:")) this.add(identity.credentialId, res);
        return identity;
      },
    };
  }

  /** Ends every response of the credential that is still being written (finished ones are left to close). */
  end(credentialId: string): number {
    const responses = this.open.get(credentialId);
    if (responses === undefined) return 0;
    this.open.delete(credentialId);
    let ended = 0;
    for (const res of responses) {
      if (res.writableEnded) continue;
      res.destroy();
      ended++;
    }
    return ended;
  }

  /** Responses tracked now (tests check the map empties as responses close). */
  get size(): number {
    let n = 0;
    for (const set of this.open.values()) n += set.size;
    return n;
  }

  private add(credentialId: string, res: Response): void {
    let set = this.open.get(credentialId);
    if (set === undefined) this.open.set(credentialId, (set = new Set()));
    set.add(res);
    res.once("close", () => {
      const current = this.open.get(credentialId);
      if (current === undefined) return;
      current.delete(res);
      if (current.size === 0) this.open.delete(credentialId);
    });
  }
}
