import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { StoreModelSchema, type StoreModel } from "../../../src-shared/catalog/store-model.js";

const IMPORT_PART = /^\.import-[0-9a-f-]{36}\.part$/;

/**
 * The orchestrator's own model store, `<data dir>/models`: `<sha256>.gguf` (a file, or a link to a
 * model used in place) beside `<sha256>.json` describing it. Content-addressed, so a second import of
 * the same bytes is the same model. Emits "changed" when a model comes or goes.
 */
export class ModelStore extends EventEmitter<{ changed: [] }> {
  private models = new Map<string, StoreModel>();

  /** The adds in flight, one after another: two imports of the same bytes must not write one model's files at once. */
  private adding: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {
    super();
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      // An import's part is never resumed (a hub pull's is): one left by a crash or a kill is garbage.
      if (IMPORT_PART.test(name)) {
        rmSync(join(dir, name), { force: true });
        logger.info({ file: name }, "model store: unfinished import removed");
        continue;
      }
      if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
      try {
        const model = StoreModelSchema.parse(JSON.parse(readFileSync(join(dir, name), "utf8")));
        this.models.set(model.sha256, model);
      } catch (error) {
        logger.warn({ file: name, err: error }, "model store: unreadable entry skipped");
      }
    }
  }

  list(): StoreModel[] {
    return [...this.models.values()].sort((a, b) => a.file_name.localeCompare(b.file_name));
  }

  get(sha256: string): StoreModel | undefined {
    return this.models.get(sha256);
  }

  pathOf(sha256: string): string {
    return join(this.dir, `${sha256}.gguf`);
  }

  /** A hidden working file in the store (same filesystem, so the final rename is atomic). */
  partPath(tag: string): string {
    return join(this.dir, `.${tag}.part`);
  }

  /** The part file of one import (removed at start-up if one is left over). */
  importPartPath(): string {
    return this.partPath(`import-${randomUUID()}`);
  }

  /**
   * Moves a verified part into place (or links an in-place file) and records it. Adds run one at a
   * time: two concurrent uploads of the same bytes both renamed `<sha256>.json.tmp`, and the second
   * rename found it gone (500). Now the second finds the first's model and drops its own part.
   */
  add(model: StoreModel, from: { part: string } | { link: string }): Promise<StoreModel> {
    const added = this.adding.then(() => this.addNow(model, from));
    this.adding = added.catch(() => undefined);
    return added;
  }

  /**
   * Removes a model from the store (its file, or its link for a model used in place: the original
   * is never touched). A staging target reading it finishes the range it is on; its next range
   * request gets 404 and the job goes on from another holder. Runs in turn with adds.
   */
  remove(sha256: string): Promise<StoreModel | null> {
    const removed = this.adding.then(async () => {
      const model = this.models.get(sha256);
      if (model === undefined) return null;
      this.models.delete(sha256);
      await rm(join(this.dir, `${sha256}.json`), { force: true });
      await rm(this.pathOf(sha256), { force: true });
      this.logger.info({ sha256, file: model.file_name, origin: model.origin }, "model removed from the orchestrator store");
      this.emit("changed");
      return model;
    });
    this.adding = removed.catch(() => undefined);
    return removed;
  }

  private async addNow(model: StoreModel, from: { part: string } | { link: string }): Promise<StoreModel> {
    const existing = this.models.get(model.sha256);
    if (existing !== undefined) {
      if ("part" in from) await rm(from.part, { force: true });
      return existing;
    }
    const target = this.pathOf(model.sha256);
    if ("part" in from) await rename(from.part, target);
    else {
      await rm(target, { force: true });
      await symlink(from.link, target);
    }
    const meta = join(this.dir, `${model.sha256}.json`);
    await writeFile(`${meta}.tmp`, JSON.stringify(model, null, 2));
    await rename(`${meta}.tmp`, meta);
    this.models.set(model.sha256, model);
    this.logger.info({ sha256: model.sha256, file: model.file_name, origin: model.origin, size_bytes: model.size_bytes }, "model added to the orchestrator store");
    this.emit("changed");
    return model;
  }
}
