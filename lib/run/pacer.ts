/**
 * A pacer keeps calls to one API at or under a steady rate. Pacing to a known quota beats
 * hitting it: a throttled call costs a round trip and an SDK backoff of a second or more.
 */
export interface Pacer {
  /** Resolve when the next call may start. */
  acquire(): Promise<void>;
}

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A pacer for `perSecond` calls a second, evenly spaced; 0 means no pacing. */
export function createPacer(perSecond: number, clock: PacerClock = realClock): Pacer {
  if (perSecond <= 0) return { acquire: async () => undefined };
  const interval = 1000 / perSecond;
  let nextSlot = Number.NEGATIVE_INFINITY;
  return {
    async acquire() {
      const now = clock.now();
      // Slots are handed out in call order, so concurrent callers queue instead of bursting.
      const slot = Math.max(now, nextSlot);
      nextSlot = slot + interval;
      if (slot > now) await clock.sleep(slot - now);
    },
  };
}
