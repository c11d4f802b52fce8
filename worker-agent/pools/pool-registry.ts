import { EventEmitter } from "node:events";
import type { ServingPool } from "./serving-pool.js";

/** Every pool the agent serves, by id. Re-emits "changed" for any pool change, add or removal. */
export class PoolRegistry extends EventEmitter<{ changed: [] }> {
  private readonly pools = new Map<string, ServingPool>();
  private readonly forward = (): void => {
    this.emit("changed");
  };

  has(id: string): boolean {
    return this.pools.has(id);
  }

  get(id: string): ServingPool | undefined {
    return this.pools.get(id);
  }

  list(): ServingPool[] {
    return [...this.pools.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  add(pool: ServingPool): void {
    if (this.pools.has(pool.id)) throw new Error(`pool ${pool.id} already exists`);
    this.pools.set(pool.id, pool);
    pool.on("changed", this.forward);
    this.emit("changed");
  }

  /** Removes and stops the pool (in-flight tasks get an error event). */
  async remove(id: string): Promise<void> {
    const pool = this.pools.get(id);
    if (pool === undefined) return;
    this.pools.delete(id);
    pool.off("changed", this.forward);
    this.emit("changed");
    await pool.stop();
  }
}
