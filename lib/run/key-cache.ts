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
  return {
    readKeyFacts(keyId) {
      const hit = cache.get(keyId);
      if (hit && hit.expiresAt > now()) return hit.facts;
      const facts = inner.readKeyFacts(keyId);
      cache.set(keyId, { facts, expiresAt: now() + ttlMs });
      // A failed read is not worth keeping, nor a passing failure of the lookup: it says nothing about the key.
      const drop = () => cache.delete(keyId);
      facts.then((f) => (!f.found && f.transient ? drop() : undefined), drop);
      return facts;
    },
    forget() {
      cache.clear();
      inner.forget?.();
    },
  };
}
