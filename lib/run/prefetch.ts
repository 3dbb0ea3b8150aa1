/**
 * Read an async iterable up to `depth` items ahead of its consumer, so that fetching the next
 * DescribeLogGroups pages overlaps with the work on the current one. Stopping the consumer
 * (break, return, throw) stops the reading; items read ahead and not consumed are dropped.
 */
export async function* prefetch<T>(
  source: AsyncIterable<T>,
  depth: number,
  /** False once reading ahead is no longer worth it (near a deadline): only what is asked for is read. */
  readingAhead: () => boolean = () => true,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const buffer: Promise<IteratorResult<T>>[] = [];
  let done = false;
  // Each read is chained to the one before: the source sees one call at a time, in order.
  let last: Promise<unknown> = Promise.resolve();
  const readAhead = (atLeast: number) => {
    const limit = Math.max(atLeast, readingAhead() ? depth : 0);
    while (!done && buffer.length < limit) {
      const next = last.then(() => iterator.next());
      // A rejection is handled where the consumer awaits it; avoid an unhandled-rejection report meanwhile.
      next.catch(() => undefined);
      last = next.catch(() => undefined);
      buffer.push(next);
    }
  };
  try {
    for (;;) {
      readAhead(1);
      const next = buffer.shift() as Promise<IteratorResult<T>>;
      // Refill at once: `depth` reads stay in flight while the consumer works on this item.
      readAhead(0);
      const result = await next;
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
    }
  } finally {
    done = true;
    await last;
    await iterator.return?.();
  }
}
