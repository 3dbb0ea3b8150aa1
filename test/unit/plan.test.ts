import { assessKey } from '../../lib/core/key-check';
import { createPatternSet } from '../../lib/core/patterns';
import { decideGroup, hasExcludeTag } from '../../lib/core/plan';
import type { LogGroup } from '../../lib/core/types';
import { ACCOUNT, goodKey, group, KEY_ARN, REGION } from '../support/fakes';

const usableKey = assessKey(goodKey(), REGION, ACCOUNT);
const disabledKey = assessKey(goodKey({ state: 'Disabled' }), REGION, ACCOUNT);
const scope = (include: string[] = [], exclude: string[] = []) => ({
  include: createPatternSet(include),
  exclude: createPatternSet(exclude),
});

describe('decideGroup', () => {
  it.each<[string, LogGroup, ReturnType<typeof scope>, typeof usableKey, string, string | undefined]>([
    [
      'an encrypted group is only counted',
      group('/a', { kmsKeyId: KEY_ARN }),
      scope(),
      usableKey,
      'count-encrypted',
      undefined,
    ],
    [
      'an encrypted group is counted even with a bad key',
      group('/a', { kmsKeyId: KEY_ARN }),
      scope(),
      disabledKey,
      'count-encrypted',
      undefined,
    ],
    [
      'a group outside the include patterns is excluded',
      group('/b'),
      scope(['/a*']),
      usableKey,
      'exclude',
      'include-patterns',
    ],
    [
      'a group matching an exclude pattern is excluded',
      group('/a/x'),
      scope(['/a*'], ['/a/*']),
      usableKey,
      'exclude',
      'exclude-patterns',
    ],
    ['exclusion beats a bad key', group('/x'), scope([], ['/x']), disabledKey, 'exclude', 'exclude-patterns'],
    [
      'a DELIVERY group is skipped',
      group('/d', { logGroupClass: 'DELIVERY' }),
      scope(),
      usableKey,
      'skip',
      'delivery-class',
    ],
    [
      'an INFREQUENT_ACCESS group is a candidate',
      group('/i', { logGroupClass: 'INFREQUENT_ACCESS' }),
      scope(),
      usableKey,
      'remediate',
      undefined,
    ],
    [
      'a candidate with an unusable key is skipped',
      group('/c'),
      scope(),
      disabledKey,
      'skip',
      'key-unusable',
    ],
    ['a plain unencrypted group is a candidate', group('/c'), scope(), usableKey, 'remediate', undefined],
  ])('%s', (_label, logGroup, groupScope, key, action, reason) => {
    const decision = decideGroup(logGroup, groupScope, key);
    expect(decision.action).toBe(action);
    expect('reason' in decision ? decision.reason : undefined).toBe(reason);
  });
});

describe('hasExcludeTag', () => {
  it.each([
    [{ skip: '' }, { key: 'skip' }, true],
    [{ skip: 'yes' }, { key: 'skip', value: 'yes' }, true],
    [{ skip: 'no' }, { key: 'skip', value: 'yes' }, false],
    [{ Skip: 'yes' }, { key: 'skip' }, false],
    [{}, { key: 'skip' }, false],
    [{ skip: '' }, { key: 'skip', value: '' }, true],
  ])('tags %j with exclude tag %j → %s', (tags, excludeTag, expected) => {
    expect(hasExcludeTag(tags, excludeTag)).toBe(expected);
  });
});
