/**
 * Keeps what KMS said about the key for a short while in a warm container, so that a burst of
 * new log groups does not cost three KMS calls each. A verdict of any kind, usable or not,
 * expires just as fast, and `forget` drops it at once when an association suggests the key changed.
 */
import type { KeysPort } from './ports';
import type { KeyFacts } from './types';

export function createCachedKeys(inner: KeysPort, ttlMs: number, now: () => number = Date.now): KeysPort {
  const cache = new Map<string, { facts: Promise<KeyFacts>; expiresAt: number }>();
  return {
    readKeyFacts(keyId) {
      const hit = cache.get(keyId);
      if (hit && hit.expiresAt > now()) return hit.facts;
      const facts = inner.readKeyFacts(keyId);
      cache.set(keyId, { facts, expiresAt: now() + ttlMs });
      // A failed read is not worth keeping.
      facts.catch(() => cache.delete(keyId));
      return facts;
    },
    forget() {
      cache.clear();
      inner.forget?.();
    },
  };
}
