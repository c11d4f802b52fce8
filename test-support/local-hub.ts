// A local stand-in for a model hub, serving files the way Hugging Face does: /owner/repo/resolve/<rev>/<file>
// answers 302 to a CDN path with the sha256 in X-Linked-Etag; the CDN path honours Range and carries the
// sha256 as its ETag. It can drop the connection once mid-body, to prove that pulls resume.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface LocalHub {
  url: string;
  /** Drop the next content response after this many bytes (once). */
  dropNextAfter: number | null;
  /** Bytes sent on CDN responses, in total. */
  bytesSent: number;
  /** Announce this digest instead of the real one for the next files (a lying hub). */
  announce: string | null;
  close(): Promise<void>;
}

export async function startLocalHub(files: Record<string, string>): Promise<LocalHub> {
  const shaOf = new Map<string, string>();
  for (const [route, path] of Object.entries(files)) shaOf.set(route, createHash("sha256").update(await readFile(path)).digest("hex"));
  const byCdn = new Map([...shaOf].map(([route, sha]) => [`/cdn/${sha}`, files[route] as string]));
  const hub: LocalHub = { url: "", dropNextAfter: null, bytesSent: 0, announce: null, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://hub").pathname;
    const sha = shaOf.get(path);
    if (sha !== undefined) {
      res.writeHead(302, { location: `/cdn/${sha}`, "x-linked-etag": `"${hub.announce ?? sha}"`, etag: '"a-git-blob-oid"' }).end();
      return;
    }
    const file = byCdn.get(path);
    if (file === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    void stat(file).then(({ size }) => {
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      const start = m ? Number(m[1]) : 0;
      const end = m?.[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (start >= size) return void res.writeHead(416, { "content-range": `bytes */${size}` }).end();
      res.writeHead(m ? 206 : 200, { "content-length": String(end - start + 1), ...(m ? { "content-range": `bytes ${start}-${end}/${size}` } : {}), etag: `"${path.slice(5)}"`, "accept-ranges": "bytes" });
      const drop = hub.dropNextAfter;
      let sent = 0;
      const stream = createReadStream(file, { start, end, highWaterMark: 256 * 1024 });
      stream.on("data", (chunk) => {
        sent += chunk.length;
        hub.bytesSent += chunk.length;
        if (drop !== null && sent >= drop) {
          hub.dropNextAfter = null;
          stream.destroy();
          res.destroy();
          return;
        }
        if (!res.write(chunk)) {
          stream.pause();
          res.once("drain", () => stream.resume());
        }
      });
      stream.on("end", () => res.end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return hub;
}
