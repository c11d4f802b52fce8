/** In-flight tasks by id, so POST /v2/tasks/{id}/cancel can reach the pool running it. */
export class TaskRegistry {
  private readonly tasks = new Map<string, { poolId: string; controller: AbortController }>();

  /** False when a task with this id is already running (task ids are unique per worker). */
  register(taskId: string, poolId: string, controller: AbortController): boolean {
    if (this.tasks.has(taskId)) return false;
    this.tasks.set(taskId, { poolId, controller });
    return true;
  }

  unregister(taskId: string, controller: AbortController): void {
    if (this.tasks.get(taskId)?.controller === controller) this.tasks.delete(taskId);
  }

  cancel(taskId: string, reason: string): { poolId: string } | undefined {
    const task = this.tasks.get(taskId);
    if (task === undefined) return undefined;
    task.controller.abort(reason);
    return { poolId: task.poolId };
  }

  get size(): number {
    return this.tasks.size;
  }
}
