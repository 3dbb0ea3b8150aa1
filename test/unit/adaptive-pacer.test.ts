import {
  createAdaptivePacer,
  PACE_CUT,
  PACE_CUT_HOLD_MS,
  PACE_FORGET_AFTER_MS,
  PACE_PROBE_SHARE,
  PACE_RAMP_PER_CALL,
  PACE_RECOVER_SHARE,
  type PacerClock,
  raisedRate,
} from '../../lib/run/pacer';

/** A clock that moves only when told to, or when a sleeper sleeps (the sleep then takes its time). */
function fakeClock(): PacerClock & { advance(ms: number): void; starts: number[] } {
  let now = 0;
  return {
    starts: [],
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      now += ms;
    },
  };
}

/** Acquire, note when the call starts, and report its outcome. */
async function call(pacer: ReturnType<typeof createAdaptivePacer>, clock: ReturnType<typeof fakeClock>) {
  await pacer.acquire();
  clock.starts.push(clock.now());
}

describe('raisedRate', () => {
  it.each([
    ['before any throttle: the ramp', 5, undefined, 5 + PACE_RAMP_PER_CALL],
    ['below the last ceiling: a share of the gap', 6, 10, 6 + 4 * PACE_RECOVER_SHARE],
    ['at the last ceiling: a slow probe', 10, 10, 10 * (1 + PACE_PROBE_SHARE)],
    ['above it: still the probe', 12, 10, 12 * (1 + PACE_PROBE_SHARE)],
  ])('%s', (_case, rate, ceiling, expected) => {
    expect(raisedRate(rate, ceiling)).toBeCloseTo(expected, 10);
  });
});

describe('createAdaptivePacer', () => {
  it('starts at its starting rate and rises while calls succeed', () => {
    const pacer = createAdaptivePacer({ startTps: 5, maxTps: 50 }, fakeClock());
    expect(pacer.rate()).toBe(5);
    for (let i = 0; i < 10; i++) pacer.succeeded();
    expect(pacer.rate()).toBeCloseTo(5 + 10 * PACE_RAMP_PER_CALL, 10);
  });

  it.each([
    [5, 50],
    [5, 8],
    [20, 20],
  ])('never rises above its ceiling (start %i, max %i)', (startTps, maxTps) => {
    const pacer = createAdaptivePacer({ startTps, maxTps }, fakeClock());
    for (let i = 0; i < 1_000; i++) pacer.succeeded();
    expect(pacer.rate()).toBe(maxTps);
  });

  it('starts at the ceiling when asked to start above it', () => {
    expect(createAdaptivePacer({ startTps: 80, maxTps: 50 }, fakeClock()).rate()).toBe(50);
  });

  it('falls on a throttle, to a share of what AWS let through in the last second', async () => {
    const clock = fakeClock();
    const pacer = createAdaptivePacer({ startTps: 10, maxTps: 50 }, clock);
    // 10 calls in the last second got through, while the pace had risen above that.
    for (let i = 0; i < 10; i++) {
      await call(pacer, clock);
      pacer.succeeded();
    }
    expect(pacer.rate()).toBe(10 + 10 * PACE_RAMP_PER_CALL);
    pacer.throttled();
    expect(pacer.rate()).toBeCloseTo(10 * PACE_CUT, 10);
    // Then it climbs back towards the 10 that went through, not to the 15 it had asked for.
    for (let i = 0; i < 200; i++) pacer.succeeded();
    expect(pacer.rate()).toBeGreaterThan(10);
    expect(pacer.rate()).toBeLessThan(10 * (1 + PACE_PROBE_SHARE) ** 200 + 1e-9);
  });

  it('cuts once for the throttles of calls sent before a cut, then again after the hold', async () => {
    const clock = fakeClock();
    const pacer = createAdaptivePacer({ startTps: 20, maxTps: 50 }, clock);
    for (let i = 0; i < 20; i++) {
      await call(pacer, clock);
      pacer.succeeded();
    }
    pacer.throttled();
    const afterOne = pacer.rate();
    pacer.throttled();
    pacer.throttled();
    expect(pacer.rate()).toBe(afterOne);
    clock.advance(PACE_CUT_HOLD_MS);
    pacer.throttled();
    expect(pacer.rate()).toBeLessThan(afterOne);
    expect(pacer.read().throttles).toBe(4);
  });

  it('never goes below one call a second', () => {
    const clock = fakeClock();
    const pacer = createAdaptivePacer({ startTps: 2, maxTps: 50 }, clock);
    for (let i = 0; i < 20; i++) {
      pacer.throttled();
      clock.advance(PACE_CUT_HOLD_MS);
    }
    expect(pacer.rate()).toBe(1);
  });

  it('never starts calls faster than its rate, however many wait at once', async () => {
    const clock = fakeClock();
    const pacer = createAdaptivePacer({ startTps: 4, maxTps: 50 }, clock);
    const rates: number[] = [];
    for (let i = 0; i < 40; i++) {
      rates.push(pacer.rate());
      await call(pacer, clock);
      if (i % 7 === 6) pacer.throttled();
      else pacer.succeeded();
    }
    // Each gap is at least the interval of the rate in force when the earlier call was given its slot.
    const short = clock.starts
      .slice(1)
      .map((start, i) => ({
        i,
        gap: start - (clock.starts[i] as number),
        interval: 1000 / (rates[i] as number),
      }))
      .filter(({ gap, interval }) => gap < interval - 1e-9);
    expect(short).toEqual([]);
  });

  it('spaces concurrent callers one interval apart', async () => {
    const clock = fakeClock();
    const sleeps: number[] = [];
    const pacer = createAdaptivePacer(
      { startTps: 5, maxTps: 50 },
      { now: clock.now, sleep: async (ms) => void sleeps.push(ms) },
    );
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire()]);
    expect(sleeps).toEqual([200, 400]);
  });

  it('reads the highest rate paced at and the throttles, then starts a new reading', async () => {
    const clock = fakeClock();
    const pacer = createAdaptivePacer({ startTps: 5, maxTps: 50 }, clock);
    for (let i = 0; i < 4; i++) {
      await call(pacer, clock);
      pacer.succeeded();
    }
    pacer.throttled();
    expect(pacer.read()).toEqual({ tpsReached: 5 + 3 * PACE_RAMP_PER_CALL, throttles: 1 });
    expect(pacer.read()).toEqual({ tpsReached: 0, throttles: 0 });
  });

  it('keeps what it learned across runs, and forgets it after a long idle time', async () => {
    const clock = fakeClock();
    const pacer = createAdaptivePacer({ startTps: 5, maxTps: 50, forgetAfterMs: 60_000 }, clock);
    for (let i = 0; i < 20; i++) {
      await call(pacer, clock);
      pacer.succeeded();
    }
    const learned = pacer.rate();
    clock.advance(59_000);
    await pacer.acquire();
    expect(pacer.rate()).toBe(learned);
    clock.advance(60_001);
    await pacer.acquire();
    expect(pacer.rate()).toBe(5);
  });

  it('forgets after 15 idle minutes by default, not before', async () => {
    const clock = fakeClock();
    const pacer = createAdaptivePacer({ startTps: 5, maxTps: 50 }, clock);
    await pacer.acquire();
    for (let i = 0; i < 10; i++) pacer.succeeded();
    clock.advance(PACE_FORGET_AFTER_MS);
    await pacer.acquire();
    expect(pacer.rate()).toBe(5 + 10 * PACE_RAMP_PER_CALL);
    clock.advance(PACE_FORGET_AFTER_MS + 1);
    await pacer.acquire();
    expect(pacer.rate()).toBe(5);
  });
});
