import { OrchError } from "../../../src-shared/errors/orch-error.js";

/** The Fetch standard's "bad ports": fetch refuses them on every attempt, so a pull to one could never start. */
const FETCH_BLOCKED_PORTS = new Set([1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

/** Why fetch would refuse this URL's port on every attempt, or null. */
export function blockedPortProblem(url: URL): string | null {
  if (url.port === "" || !FETCH_BLOCKED_PORTS.has(Number(url.port))) return null;
  return `port ${url.port} is on the Fetch standard's blocked list (fetch never connects to it); serve the file on another port`;
}

function refuseBlockedPort(url: URL): URL {
  const problem = blockedPortProblem(url);
  if (problem !== null) throw new OrchError("INVALID_PARAMS", problem, { details: { reason: "blocked_port" } });
  return url;
}

/**
 * `hf://owner/repo[@revision]/path/file.gguf` → `<hub>/owner/repo/resolve/<revision|main>/path/file.gguf`
 * (the Hugging Face layout, which mirrors keep); an http(s) URL is used as it is.
 */
export function resolveHubRef(ref: string, hubBaseUrl: string): URL {
  if (ref.startsWith("hf://")) {
    const parts = ref.slice(5).split("/");
    const [owner, repoRev, ...file] = parts;
    if (owner === undefined || repoRev === undefined || file.length === 0 || parts.some((p) => p === "" || p === "." || p === "..")) {
      throw new OrchError("INVALID_PARAMS", "hf references look like hf://owner/repo[@revision]/file.gguf");
    }
    // Only GGUF files are models here: a .bin or .safetensors would download in full, then fail the header check.
    if (!/\.gguf$/i.test(file[file.length - 1] ?? "")) throw new OrchError("INVALID_PARAMS", `hf references name a .gguf file (hf://owner/repo[@revision]/file.gguf), not ${file.join("/")}`, { details: { reason: "not_gguf" } });
    const [repo, revision = "main"] = repoRev.split("@");
    const base = hubBaseUrl.replace(/\/+$/, "");
    return refuseBlockedPort(new URL(`${base}/${[owner, repo ?? "", "resolve", revision, ...file].map(encodeURIComponent).join("/")}`));
  }
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new OrchError("INVALID_PARAMS", "ref must be hf://owner/repo/file.gguf or an http(s) URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new OrchError("INVALID_PARAMS", "only http(s) URLs can be pulled");
  // fetch refuses such a URL on every attempt, and the ref is kept, logged and listed to read keys:
  // refused here, before it is stored anywhere.
  if (url.username !== "" || url.password !== "") throw new OrchError("INVALID_PARAMS", "a pull URL cannot carry credentials (user:password@): it would be stored, logged and listed; serve the file without them or from a mirror the orchestrator may read", { details: { reason: "url_credentials" } });
  return refuseBlockedPort(url);
}

/** The sha256 a hub announces: Hugging Face puts it in X-Linked-Etag (LFS files) or the ETag. */
export function announcedSha256(headers: Headers): string | null {
  for (const name of ["x-linked-etag", "etag"]) {
    const m = /([0-9a-f]{64})/i.exec(headers.get(name) ?? "");
    if (m?.[1]) return m[1].toLowerCase();
  }
  return null;
}
