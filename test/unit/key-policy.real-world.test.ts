/**
 * Real-world key policies (test/fixtures/real-world-key-policies.json: each with its public source, a note,
 * and the verdict the independent oracle gave when it was recorded) judged by the product and by the oracle
 * (test/support/iam-oracle.ts). Both must match the recorded verdict for every group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assessPolicyScope,
  evaluateGroupAccess,
  type LogsContext,
  parseKeyPolicy,
} from '../../lib/core/key-policy';
import { oracleVerdict, type Verdict } from '../support/iam-oracle';

interface Fixture {
  id: string;
  source: string;
  note: string;
  policy: object;
  oracle: Record<string, Verdict>;
}

const { context, policies } = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/real-world-key-policies.json'), 'utf8'),
) as { context: LogsContext; policies: Fixture[] };

const groupArn = (name: string) =>
  `arn:${context.partition}:logs:${context.region}:${context.account}:log-group:${name}`;

const cases = policies.flatMap((fixture) =>
  Object.entries(fixture.oracle).map(([group, verdict]) => [fixture.id, group, verdict, fixture] as const),
);

function productVerdict(policy: object, arn: string): Verdict {
  const parsed = parseKeyPolicy(JSON.stringify(policy));
  if (!parsed.ok) throw new Error(parsed.message);
  const access = evaluateGroupAccess(parsed.policy, context, arn);
  if (access.allowed === 'unknown') return 'unknown';
  return access.allowed ? 'allow' : 'deny';
}

describe('real-world key policies', () => {
  it('are at least 20, each with a public source and a note', () => {
    expect(policies.length).toBeGreaterThanOrEqual(20);
    for (const { source, note } of policies) {
      expect(source).toMatch(/^https:\/\//);
      expect(note.length).toBeGreaterThan(20);
    }
  });

  it.each(cases)(
    '%s, group %s: the oracle says %s, and so does the product',
    (_id, group, verdict, fixture) => {
      expect(oracleVerdict(fixture.policy, context, groupArn(group)).verdict).toBe(verdict);
      expect(productVerdict(fixture.policy, groupArn(group))).toBe(verdict);
    },
  );

  it.each(policies.map((f) => [f.id, f] as const))(
    '%s: the key-level verdict fits the groups',
    (_id, fixture) => {
      const parsed = parseKeyPolicy(JSON.stringify(fixture.policy));
      if (!parsed.ok) throw new Error(parsed.message);
      const verdicts = new Set(Object.values(fixture.oracle));
      const scope = assessPolicyScope(parsed.policy, context).scope;
      const expected =
        verdicts.size > 1
          ? 'some-groups'
          : { allow: 'all-groups', deny: 'no-groups', unknown: 'unknown' }[[...verdicts][0] as Verdict];
      expect(scope).toBe(expected);
    },
  );
});
