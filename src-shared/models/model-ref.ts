import { z } from "zod";
import { SHA256_HEX_PATTERN } from "./sha256.js";

// Model references accepted by `model_ref` (/v2/tasks), `model` (/v1/*) and pool reload:
//   sha256:<64 hex>           exact model by digest (the canonical id)
//   <64 hex>                  the same, without prefix
//   file:/abs/path.gguf       a file on the node that resolves it
//   hf:org/repo[/path.gguf]   a Hugging Face reference (resolved only where the file is known)
//   anything else             a friendly name, as listed by GET /v1/models
// Path traversal ("..") and control characters are rejected everywhere.

export type ModelRef =
  | { kind: "sha256"; sha256: string }
  | { kind: "name"; name: string }
  | { kind: "file"; path: string }
  | { kind: "hf"; org: string; repo: string; path?: string };

export type ParseModelRefResult = { ok: true; ref: ModelRef } | { ok: false; error: string };

const MAX_REF_LENGTH = 1024;
const HF_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// Friendly names: printable, no slashes or backslashes (names are not paths), no leading dot.
const FRIENDLY_NAME = /^[A-Za-z0-9_][A-Za-z0-9 ._:+@()-]{0,255}$/;

function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function hasDotDotSegment(path: string): boolean {
  return path.split(/[/\\]/).some((seg) => seg === "..");
}

export function parseModelRef(input: string): ParseModelRefResult {
  const ref = input.trim();
  if (ref === "") return { ok: false, error: "model reference is empty" };
  if (ref.length > MAX_REF_LENGTH) return { ok: false, error: `model reference longer than ${MAX_REF_LENGTH} characters` };
  if (hasControlChars(ref)) return { ok: false, error: "model reference contains control characters" };

  // A digest in any letter case (sha256sum prints lowercase, some tools and people write uppercase).
  if (/^sha256:/i.test(ref)) {
    const hex = ref.slice("sha256:".length).toLowerCase();
    if (!SHA256_HEX_PATTERN.test(hex)) return { ok: false, error: "sha256: must be followed by 64 hex characters" };
    return { ok: true, ref: { kind: "sha256", sha256: hex } };
  }
  if (SHA256_HEX_PATTERN.test(ref.toLowerCase())) return { ok: true, ref: { kind: "sha256", sha256: ref.toLowerCase() } };

  if (ref.startsWith("file:")) {
    const path = ref.slice("file:".length);
    if (!path.startsWith("/")) return { ok: false, error: "file: reference must be an absolute path" };
    if (hasDotDotSegment(path) || path.includes("\\")) return { ok: false, error: "file: reference must not contain '..' or backslashes" };
    return { ok: true, ref: { kind: "file", path } };
  }

  if (ref.startsWith("hf:")) {
    const segments = ref.slice("hf:".length).split("/");
    const [org, repo, ...rest] = segments;
    if (org === undefined || repo === undefined || !HF_SEGMENT.test(org) || !HF_SEGMENT.test(repo)) {
      return { ok: false, error: "hf: reference must be hf:org/repo[/path]" };
    }
    if (rest.some((seg) => !HF_SEGMENT.test(seg))) {
      return { ok: false, error: "hf: path segments must be non-empty and must not be '.' or '..'" };
    }
    return { ok: true, ref: rest.length > 0 ? { kind: "hf", org, repo, path: rest.join("/") } : { kind: "hf", org, repo } };
  }

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return { ok: false, error: "URL model references are not supported; stage the model first" };
  if (!FRIENDLY_NAME.test(ref)) return { ok: false, error: "model name may contain only letters, digits, space and ._:+@()- and must not start with '.'" };
  return { ok: true, ref: { kind: "name", name: ref } };
}

/** The canonical string form, e.g. for logs and cache keys. */
export function formatModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case "sha256":
      return `sha256:${ref.sha256}`;
    case "name":
      return ref.name;
    case "file":
      return `file:${ref.path}`;
    case "hf":
      return ref.path === undefined ? `hf:${ref.org}/${ref.repo}` : `hf:${ref.org}/${ref.repo}/${ref.path}`;
  }
}

/** A string field holding a model reference that parseModelRef accepts. */
export const ModelRefStringSchema = z
  .string()
  .min(1)
  .max(MAX_REF_LENGTH)
  .refine((s) => parseModelRef(s).ok, { message: "not a valid model reference (sha256:<hex>, name, file:/abs, hf:org/repo[/file])" });
