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

/** What an adaptive pacer did since it was last read. */
export interface PaceReading {
  /** The highest rate it paced at, calls per second. */
  tpsReached: number;
  /** Calls it saw throttled, retried ones included. */
  throttles: number;
}

/**
 * A pacer that finds the rate the API allows: it rises while calls succeed and falls sharply on
 * a throttle, between 1 call a second and `maxTps`. AIMD as in the SDK's adaptive retry mode
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), but proactive.
 * The SDK's own DefaultRateLimiter (@smithy/core retry, CUBIC; aws/aws-sdk-js-v3 commit 8ef104d)
 * cannot be reused as is: it does not pace at all until the first throttle, has no starting rate,
 * no ceiling, and reads Date.now() itself.
 */
export interface AdaptivePacer extends Pacer {
  succeeded(): void;
  throttled(): void;
  /** The current rate, calls per second. */
  rate(): number;
  /** What happened since the last reading; starts the next one. */
  read(): PaceReading;
}

export interface AdaptivePacerOptions {
  startTps: number;
  maxTps: number;
  /** Idle time after which what was learned is forgotten and the pace starts again at `startTps`. */
  forgetAfterMs?: number;
}

/** A throttle keeps this share of the rate. */
export const PACE_CUT = 0.6;
/** Before any throttle, each success adds this many calls a second: the rate doubles in about 0.7 s. */
export const PACE_RAMP_PER_CALL = 1;
/** Below the rate of the last throttle, each success closes this share of the gap to it. */
export const PACE_RECOVER_SHARE = 0.1;
/** At or above it, each success adds this share of the rate: probing, slowly, for more. */
export const PACE_PROBE_SHARE = 0.002;
/** Throttles this soon after a cut answer calls sent before it, and do not cut again. */
export const PACE_CUT_HOLD_MS = 1_000;
/** A quota shared with other tools changes; after 15 idle minutes the learned rate is stale. */
export const PACE_FORGET_AFTER_MS = 15 * 60_000;

export function createAdaptivePacer(
  options: AdaptivePacerOptions,
  clock: PacerClock = realClock,
): AdaptivePacer {
  const max = Math.max(1, options.maxTps);
  const forgetAfter = options.forgetAfterMs ?? PACE_FORGET_AFTER_MS;
  const start = Math.min(max, Math.max(1, options.startTps));
  let rate = start;
  /** The rate of the last throttle; undefined until one. */
  let ceiling: number | undefined;
  let cutAt = Number.NEGATIVE_INFINITY;
  let lastCall = Number.NEGATIVE_INFINITY;
  let nextSlot = Number.NEGATIVE_INFINITY;
  let reading: PaceReading = { tpsReached: 0, throttles: 0 };
  /** When the calls of the last second succeeded: what the API let through, not what was asked. */
  let successes: number[] = [];
  return {
    async acquire() {
      const now = clock.now();
      if (now - lastCall > forgetAfter) {
        rate = start;
        ceiling = undefined;
      }
      lastCall = now;
      reading.tpsReached = Math.max(reading.tpsReached, rate);
      const slot = Math.max(now, nextSlot);
      nextSlot = slot + 1000 / rate;
      if (slot > now) await clock.sleep(slot - now);
    },
    succeeded() {
      successes.push(clock.now());
      if (successes.length > 2 * max) successes = successes.slice(-max);
      rate = Math.min(max, raisedRate(rate, ceiling));
    },
    throttled() {
      reading.throttles++;
      const now = clock.now();
      if (now - cutAt < PACE_CUT_HOLD_MS) return;
      cutAt = now;
      // Throttling starts once the API's bucket is empty, so the rate asked for overstates the quota.
      const passed = successes.filter((t) => now - t < 1000).length;
      ceiling = Math.max(1, Math.min(rate, passed));
      rate = Math.max(1, ceiling * PACE_CUT);
      // Calls already given a slot at the old rate would go out too fast: space the next from now.
      nextSlot = now + 1000 / rate;
    },
    rate: () => rate,
    read() {
      const last = reading;
      reading = { tpsReached: 0, throttles: 0 };
      return last;
    },
  };
}

/** The rate after a success: a quick ramp before any throttle, then back up to the last ceiling, then a slow probe. */
export function raisedRate(rate: number, ceiling: number | undefined): number {
  if (ceiling === undefined) return rate + PACE_RAMP_PER_CALL;
  if (rate < ceiling * (1 - PACE_PROBE_SHARE)) return rate + (ceiling - rate) * PACE_RECOVER_SHARE;
  return rate * (1 + PACE_PROBE_SHARE);
}
