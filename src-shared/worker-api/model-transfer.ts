import { z } from "zod";
import { ByteCountSchema } from "../common/ids.js";
import { ModelInventoryEntrySchema } from "../models/model-inventory.js";
import { Sha256HexSchema } from "../models/sha256.js";

/** GET /v2/models on a worker. */
export const ModelInventoryResponseSchema = z.object({
  models: z.array(ModelInventoryEntrySchema),
});
export type ModelInventoryResponse = z.infer<typeof ModelInventoryResponseSchema>;

/**
 * Response of PUT /v2/models/{sha256} (model receive for staging). The body is the raw file
 * (application/octet-stream); a resumed upload sends `Content-Range: bytes <start>-<end>/<total>`
 * starting at `bytes_received` of a previous response. `verified` is true once the digest of the
 * complete file matched the path's sha256 (a mismatch deletes the partial file and answers 400).
 */
export const ModelReceiveResponseSchema = z.object({
  sha256: Sha256HexSchema,
  bytes_received: ByteCountSchema,
  complete: z.boolean(),
  verified: z.boolean(),
});
export type ModelReceiveResponse = z.infer<typeof ModelReceiveResponseSchema>;

/** Query of PUT /v2/models/{sha256}: the file name to store it under (default `<sha256>.gguf`). */
export const ModelReceiveQuerySchema = z.object({
  file_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.gguf$/, "file_name must be a plain *.gguf file name").optional(),
});
export type ModelReceiveQuery = z.infer<typeof ModelReceiveQuerySchema>;

/** Parsed `Content-Range` request header of a (resumed) model upload. */
export const ContentRangeSchema = z.object({
  start: z.int().min(0),
  end: z.int().min(0),
  total: z.int().min(0).optional(),
});
export type ContentRange = z.infer<typeof ContentRangeSchema>;

/** Parses `bytes <start>-<end>/<total|*>`; returns undefined when malformed or inconsistent. */
export function parseContentRange(header: string): ContentRange | undefined {
  const m = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16}|\*)$/.exec(header.trim());
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === "*" ? undefined : Number(m[3]);
  if (end < start) return undefined;
  if (total !== undefined && end >= total) return undefined;
  return total === undefined ? { start, end } : { start, end, total };
}
