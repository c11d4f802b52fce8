import { OrchError } from "../../../src-shared/errors/orch-error.js";

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
    const [repo, revision = "main"] = repoRev.split("@");
    const base = hubBaseUrl.replace(/\/+$/, "");
    return new URL(`${base}/${[owner, repo ?? "", "resolve", revision, ...file].map(encodeURIComponent).join("/")}`);
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
  return url;
}

/** The sha256 a hub announces: Hugging Face puts it in X-Linked-Etag (LFS files) or the ETag. */
export function announcedSha256(headers: Headers): string | null {
  for (const name of ["x-linked-etag", "etag"]) {
    const m = /([0-9a-f]{64})/i.exec(headers.get(name) ?? "");
    if (m?.[1]) return m[1].toLowerCase();
  }
  return null;
}
