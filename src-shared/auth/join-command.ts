// The one string a worker needs to join a cluster (`llama-orch-worker start --join …`, env LLORCH_JOIN):
// `<orchestrator url>#<join token>[@sha256:<CA fingerprint>]`. The fingerprint pins the cluster CA:
// an agent given one talks to nothing but a server whose chain holds that CA.

export interface JoinCommand {
  orchestratorUrl: string;
  joinToken: string;
  caFingerprint: string | undefined;
}

export function formatJoin(orchestratorUrl: string, joinToken: string, caFingerprint: string | null): string {
  return `${orchestratorUrl}#${joinToken}${caFingerprint !== null ? `@${caFingerprint}` : ""}`;
}

/** Parses a join string; an error message names what is wrong (never echoing the token). */
export function parseJoin(text: string): { ok: true; join: JoinCommand } | { ok: false; error: string } {
  const hash = text.lastIndexOf("#");
  if (hash < 0) return { ok: false, error: "expected <orchestrator url>#<join token>[@sha256:<ca fingerprint>]" };
  const url = text.slice(0, hash);
  const [token = "", fingerprint, ...rest] = text.slice(hash + 1).split("@");
  if (rest.length > 0) return { ok: false, error: "more than one @ after the join token" };
  // src-shared has no URL class: the orchestrator's base URL is a scheme and an authority, nothing more.
  const base = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/.exec(url);
  if (base === null) return { ok: false, error: "the part before # must be the orchestrator's base URL, http(s)://host[:port]" };
  const protocol = base[1] as string;
  if (!/^llj_[0-9a-f]{64}$/.test(token)) return { ok: false, error: "the part after # is not a join token (llj_<64 hex>)" };
  if (fingerprint !== undefined && !/^sha256:[0-9a-f]{64}$/.test(fingerprint.toLowerCase())) return { ok: false, error: "the CA fingerprint after @ must be sha256:<64 hex>" };
  if (protocol === "https" && fingerprint === undefined) return { ok: false, error: "an https:// orchestrator needs the CA fingerprint (…@sha256:<hex>) to pin" };
  return { ok: true, join: { orchestratorUrl: url.replace(/\/$/, ""), joinToken: token, caFingerprint: fingerprint?.toLowerCase() } };
}
