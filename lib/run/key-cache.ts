/**
 * Keeps what KMS said about the key for a short while in a warm container, so that a burst of
 * new log groups does not cost three KMS calls each. A verdict of any kind, usable or not,
 * expires just as fast, and `forget` drops it at once when an association suggests the key changed.
 * A lookup that was throttled or met a fault is no verdict and is never kept.
 */
import type { KeysPort } from '../core/ports';
import type { KeyFacts } from '../core/types';

export function createCachedKeys(inner: KeysPort, ttlMs: number, now: () => number = Date.now): KeysPort {
  const cache = new Map<string, { facts: Promise<KeyFacts>; expiresAt: number }>();
  const cached = (id: string, read: () => Promise<KeyFacts>): Promise<KeyFacts> => {
    const hit = cache.get(id);
    if (hit && hit.expiresAt > now()) return hit.facts;
    const facts = read();
    cache.set(id, { facts, expiresAt: now() + ttlMs });
    // A failed read is not worth keeping, nor a passing failure of the lookup: it says nothing about the key.
    const drop = () => cache.delete(id);
    facts.then((f) => (!f.found && f.transient ? drop() : undefined), drop);
    return facts;
  };
  return {
    readKeyFacts: (keyId) => cached(`target:${keyId}`, () => inner.readKeyFacts(keyId)),
    // The audit's reads hold fewer facts (no rotation), so they are kept apart from the target's.
    readKeyInUse: (keyArn, options) =>
      cached(`in-use:${options.readPolicy}:${keyArn}`, () => inner.readKeyInUse(keyArn, options)),
    forget() {
      cache.clear();
      inner.forget?.();
    },
  };
}
