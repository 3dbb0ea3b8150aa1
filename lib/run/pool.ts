/**
 * A bounded pool for fire-and-forget tasks. `run` waits for a free slot, so a producer
 * (the scan) slows down to the pace of the consumers instead of queueing without bound.
 */
export interface Pool {
  /** Start `task` once fewer than `limit` tasks are running. `task` must not reject. */
  run(task: () => Promise<void>): Promise<void>;
  /** Wait for every started task to finish. */
  drain(): Promise<void>;
}

export function createPool(limit: number): Pool {
  const running = new Set<Promise<void>>();
  return {
    async run(task) {
      while (running.size >= limit) await Promise.race(running);
      const promise: Promise<void> = task().finally(() => running.delete(promise));
      running.add(promise);
    },
    async drain() {
      while (running.size > 0) await Promise.race(running);
    },
  };
}
