import { createPacer, type PacerClock } from '../../lib/run/pacer';
import { prefetch } from '../../lib/run/prefetch';

/** A clock that stands still; `wakeUps` records when each sleeper would wake. */
function fakeClock(): PacerClock & { wakeUps: number[]; advance(ms: number): void } {
  let now = 0;
  const wakeUps: number[] = [];
  return {
    wakeUps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      wakeUps.push(now + ms);
    },
  };
}

describe('createPacer', () => {
  it.each([
    [5, 200],
    [2, 500],
    [10, 100],
  ])('spaces calls at %i per second, %i ms apart', async (perSecond, gap) => {
    const clock = fakeClock();
    const pacer = createPacer(perSecond, clock);
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire(), pacer.acquire()]);
    expect(clock.wakeUps).toEqual([gap, 2 * gap, 3 * gap]);
  });

  it('lets a call through at once when the last one was long enough ago', async () => {
    const clock = fakeClock();
    const pacer = createPacer(5, clock);
    await pacer.acquire();
    clock.advance(1_000);
    await pacer.acquire();
    clock.advance(50);
    await pacer.acquire();
    expect(clock.wakeUps).toEqual([1_200]);
  });

  it('does not pace at 0', async () => {
    const clock = fakeClock();
    const pacer = createPacer(0, clock);
    await Promise.all(Array.from({ length: 10 }, () => pacer.acquire()));
    expect(clock.wakeUps).toEqual([]);
  });
});

describe('prefetch', () => {
  function source(n: number, log: string[], failAt?: number) {
    return {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < n; i++) {
          log.push(`read ${i}`);
          await new Promise((resolve) => setImmediate(resolve));
          if (i === failAt) throw new Error(`page ${i} failed`);
          yield i;
        }
      },
    };
  }

  it('yields every item in order', async () => {
    const out: number[] = [];
    for await (const item of prefetch(source(7, []), 3)) out.push(item);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('reads ahead of a slow consumer, but no further than the depth', async () => {
    const log: string[] = [];
    for await (const item of prefetch(source(10, log), 3)) {
      if (item === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        // While item 0 is being worked on, items 1 to 3 have been read.
        expect(log).toEqual(['read 0', 'read 1', 'read 2', 'read 3']);
      }
    }
  });

  it('stops reading when the consumer stops', async () => {
    const log: string[] = [];
    for await (const item of prefetch(source(100, log), 2)) if (item === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.length).toBeLessThanOrEqual(4);
  });

  it('passes a failure on when the consumer reaches it', async () => {
    const out: number[] = [];
    const consume = async () => {
      for await (const item of prefetch(source(5, [], 2), 4)) out.push(item);
    };
    await expect(consume()).rejects.toThrow('page 2 failed');
    expect(out).toEqual([0, 1]);
  });
});
