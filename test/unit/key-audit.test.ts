import type { Config } from '../../lib/core/config';
import { auditKey, describeKeyInUse, judgeGroupOnKey, type KeyAudit } from '../../lib/core/key-audit';
import type { KeyFacts } from '../../lib/core/types';
import { runRemediation } from '../../lib/run/run-request';
import type { FakeAccount } from '../support/fakes';
import {
  ACCOUNT,
  baseConfig,
  createFakePorts,
  goodKey,
  group,
  KEY_ARN,
  LOGS_STATEMENT,
  policyDocument,
  REGION,
  ROOT_STATEMENT,
} from '../support/fakes';

const OLD = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0000aaaa-12ab-34cd-56ef-1234567890ab`;
const FOREIGN = `arn:aws:kms:${REGION}:999988887777:key/1111bbbb-12ab-34cd-56ef-1234567890ab`;
const CTX = { region: REGION, account: ACCOUNT };
const NOW = new Date('2026-12-03T00:00:00Z');

const oldKey = (overrides: Partial<Extract<KeyFacts, { found: true }>> = {}): KeyFacts =>
  goodKey({ requested: OLD, arn: OLD, rotationEnabled: undefined, ...overrides });
const missing = (errorCode: string, transient = false): KeyFacts => ({
  found: false,
  requested: OLD,
  errorCode,
  message: 'x',
  transient,
});
const rootOnly = { readable: true as const, document: policyDocument(ROOT_STATEMENT) };
const scopedTo = (pattern: string) => ({
  readable: true as const,
  document: policyDocument(ROOT_STATEMENT, {
    ...LOGS_STATEMENT,
    Condition: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${pattern}`,
      },
    },
  }),
});

describe('auditKey and judgeGroupOnKey', () => {
  it.each<[string, KeyFacts, string, string | undefined]>([
    ['an enabled key whose policy lets logs in', oldKey(), 'healthy', undefined],
    ['a disabled key', oldKey({ state: 'Disabled' }), 'at-risk', 'key-disabled'],
    [
      'a key pending deletion',
      oldKey({ state: 'PendingDeletion', deletionDate: '2026-12-10T00:00:00.000Z' }),
      'at-risk',
      'key-pending-deletion',
    ],
    [
      'a replica pending deletion',
      oldKey({ state: 'PendingReplicaDeletion' }),
      'at-risk',
      'key-pending-deletion',
    ],
    ['a deleted key (NotFoundException)', missing('NotFoundException'), 'at-risk', 'key-not-found'],
    ['a key whose policy shuts logs out', oldKey({ policy: rootOnly }), 'at-risk', 'key-policy-revoked'],
    [
      'a key with imported material gone (PendingImport)',
      oldKey({ state: 'PendingImport' }),
      'at-risk',
      'key-unavailable',
    ],
    [
      'a key in a disconnected custom key store',
      oldKey({ state: 'Unavailable' }),
      'at-risk',
      'key-unavailable',
    ],
    ['a key the role may not describe', missing('AccessDeniedException'), 'unverified', undefined],
    ['a throttled lookup', missing('ThrottlingException', true), 'unverified', undefined],
    ['a multi-Region key being updated', oldKey({ state: 'Updating' }), 'unverified', undefined],
    [
      'an enabled key whose policy cannot be read',
      oldKey({ policy: { readable: false, errorCode: 'AccessDeniedException', message: 'no' } }),
      'unverified',
      undefined,
    ],
  ])('%s: %s', (_label, facts, verdict, reason) => {
    const audit = auditKey(OLD, facts, CTX, NOW);
    const judged = judgeGroupOnKey(audit, group('/app').logGroupArn);
    expect(judged.verdict).toBe(verdict);
    if (reason) expect(judged).toMatchObject({ reason });
  });

  it('judges a scoped policy group by group, with the target key evaluator', () => {
    const audit = auditKey(OLD, oldKey({ policy: scopedTo('/rds/*') }), CTX, NOW);
    expect(judgeGroupOnKey(audit, group('/rds/db1').logGroupArn).verdict).toBe('healthy');
    expect(judgeGroupOnKey(audit, group('/app').logGroupArn)).toMatchObject({
      verdict: 'at-risk',
      reason: 'key-policy-revoked',
    });
  });

  it.each<[string, string, number]>([
    ['seven days ahead', '2026-12-10T00:00:00.000Z', 7],
    ['part of a day ahead', '2026-12-03T06:00:00.000Z', 1],
    ['already past', '2026-12-01T00:00:00.000Z', 0],
  ])('names the deletion date and the days left (%s)', (_label, deletionDate, days) => {
    const audit = auditKey(OLD, oldKey({ state: 'PendingDeletion', deletionDate }), CTX, NOW);
    expect(audit).toMatchObject({ status: 'at-risk', deletionDate });
    const { problem, fix } = audit as Extract<KeyAudit, { status: 'at-risk' }>;
    expect(problem.message).toContain(`${deletionDate} (in ${days} day`);
    // Cancelling leaves the key Disabled: both commands are needed, in that order.
    expect(fix.commands).toEqual([
      `aws kms cancel-key-deletion --key-id ${OLD} --region ${REGION}`,
      `aws kms enable-key --key-id ${OLD} --region ${REGION}`,
    ]);
  });

  it('gives the statement to add for a revoked policy, and what follows if nothing is done', () => {
    const audit = auditKey(OLD, oldKey({ policy: rootOnly }), CTX, NOW);
    const entry = describeKeyInUse(
      audit,
      { groups: 3, atRisk: 3, unverified: 0, reassociated: 0 },
      'other',
      CTX,
      false,
    );
    expect(entry).toMatchObject({
      verdict: 'at-risk',
      groupsAtRisk: 3,
      problem: { code: 'KEY_POLICY_REVOKED' },
    });
    expect(entry.fix?.statement).toEqual(LOGS_STATEMENT);
    expect(entry.fix?.commands.at(-1)).toContain(`aws kms put-key-policy --key-id ${OLD}`);
    expect(entry.fix?.ifNothingIsDone).toMatch(/cannot be read/);
  });

  it('keeps a reassociated key in the report, warning that it must keep decrypting', () => {
    const audit = auditKey(OLD, oldKey({ state: 'Disabled' }), CTX, NOW);
    const entry = describeKeyInUse(
      audit,
      { groups: 2, atRisk: 2, unverified: 0, reassociated: 2 },
      'other',
      CTX,
      false,
    );
    expect(entry).toMatchObject({ reassociated: 2, verdict: 'at-risk' });
    expect(entry.warning).toContain(`kms:Decrypt on this key for logs.${REGION}.amazonaws.com`);
  });
});

async function runWith(account: FakeAccount, config: Partial<Config> = {}, dryRun = false) {
  const fake = createFakePorts(account);
  const result = await runRemediation(baseConfig(config), { trigger: 'manual', dryRun }, fake.ports, {
    runId: 'r',
  });
  return { ...fake, report: result.report };
}

describe('the audit in a run', () => {
  // Fresh each time: the fake account encrypts its groups in place.
  const groups = () => [
    group('/a', { kmsKeyId: OLD }),
    group('/b', { kmsKeyId: OLD }),
    group('/c', { kmsKeyId: KEY_ARN }),
    group('/d', { kmsKeyId: FOREIGN }),
    group('/e'),
  ];

  it('reads each distinct key once, and never asks another account for its policy', async () => {
    const { calls, report } = await runWith({ groups: groups(), pageSize: 2 });
    expect(calls.readKeyInUse).toEqual([
      { keyArn: OLD, readPolicy: true },
      { keyArn: FOREIGN, readPolicy: false },
    ]);
    // GetKeyPolicy cannot work across accounts: the foreign key's health is unknown, not good.
    expect(report.groups).toContainEqual(
      expect.objectContaining({ logGroupName: '/d', outcome: 'unverified' }),
    );
    expect(report.keysInUse.map((k) => [k.arn, k.groups, k.verdict])).toEqual([
      [KEY_ARN, 1, 'target'],
      [FOREIGN, 1, 'unverified'],
      [OLD, 2, 'healthy'],
    ]);
    expect(report.totals).toMatchObject({ scanned: 5, alreadyEncrypted: 3, remediated: 1, unverified: 1 });
  });

  it('makes no audit call with KEY_AUDIT=off, and trusts encrypted groups as before', async () => {
    const { calls, report } = await runWith(
      { groups: groups(), keys: { [OLD]: oldKey({ state: 'Disabled' }) } },
      { keyAudit: false },
    );
    expect(calls.readKeyInUse).toEqual([]);
    expect(report.totals).toMatchObject({ alreadyEncrypted: 4, atRisk: 0, unverified: 0 });
  });

  it.each<[Config['otherKeys'], boolean, string, number]>([
    ['allow', false, 'alreadyEncrypted', 0],
    ['report', false, 'otherKey', 0],
    ['reassociate', true, 'wouldReassociate', 0],
    ['reassociate', false, 'reassociated', 2],
  ])('OTHER_KEYS=%s (dry run %s): %s, %i association(s)', async (otherKeys, dryRun, total, associations) => {
    const { calls, report } = await runWith({ groups: groups().slice(0, 3) }, { otherKeys }, dryRun);
    expect(report.totals[total as keyof typeof report.totals]).toBe(otherKeys === 'allow' ? 3 : 2);
    expect(calls.associate).toHaveLength(associations);
    expect(calls.associate.every((a) => a.keyArn === KEY_ARN)).toBe(true);
  });

  it.each<[Config['unhealthyKeys'], string]>([
    ['report', 'at-risk'],
    ['reassociate', 'reassociated'],
  ])('UNHEALTHY_KEYS=%s: a group on a disabled key is %s', async (unhealthyKeys, outcome) => {
    const { report, calls } = await runWith(
      { groups: groups().slice(0, 3), keys: { [OLD]: oldKey({ state: 'Disabled' }) } },
      { unhealthyKeys },
    );
    expect(report.groups.filter((g) => g.outcome === outcome).map((g) => g.logGroupName)).toEqual([
      '/a',
      '/b',
    ]);
    expect(calls.associate).toHaveLength(unhealthyKeys === 'reassociate' ? 2 : 0);
    // The old key stays in the report as at risk: reassociating does not save its older events.
    expect(report.keysInUse.find((k) => k.arn === OLD)).toMatchObject({
      verdict: 'at-risk',
      groupsAtRisk: 2,
    });
    expect(report.groups.find((g) => g.logGroupName === '/a')).toMatchObject({ kmsKeyId: OLD });
  });

  it('counts reassociations against maxRemediations, like remediations', async () => {
    const fake = createFakePorts({ groups: groups() });
    const { report } = await runRemediation(
      baseConfig({ otherKeys: 'reassociate' }),
      { trigger: 'manual', maxRemediations: 2 },
      fake.ports,
      { runId: 'r' },
    );
    // Candidates /a and /b (to move) and /e (to encrypt); /d's key is unverified and never moved.
    expect(fake.calls.associate).toHaveLength(2);
    expect(report.totals).toMatchObject({ reassociated: 2, notReached: 1, unverified: 1 });
    expect(report.groups.find((g) => g.outcome === 'not-reached')?.logGroupName).toBe('/e');
  });

  it('applies the exclude patterns to encrypted groups it would report or move', async () => {
    const { report, calls } = await runWith(
      { groups: groups().slice(0, 3) },
      { otherKeys: 'reassociate', excludePatterns: ['/a'] },
    );
    expect(report.groups.find((g) => g.logGroupName === '/a')).toMatchObject({ outcome: 'excluded' });
    expect(calls.associate.map((a) => a.logGroupName)).toEqual(['/b']);
  });
});

describe('a group that was to move and did not', () => {
  it.each<[string, Partial<Config>, FakeAccount['associateErrors'], string]>([
    ['the cap', {}, undefined, 'not-reached'],
    [
      'a failed association',
      {},
      { '/a': { kind: 'other', code: 'InvalidParameterException', message: 'no' } },
      'failed',
    ],
  ])('keeps its old key and why it was to move (%s)', async (_label, config, associateErrors, outcome) => {
    const fake = createFakePorts({
      groups: [group('/a', { kmsKeyId: OLD })],
      keys: { [OLD]: oldKey({ state: 'Disabled' }) },
      ...(associateErrors ? { associateErrors } : {}),
    });
    const { report } = await runRemediation(
      baseConfig({ unhealthyKeys: 'reassociate', ...config }),
      { trigger: 'manual', ...(outcome === 'not-reached' ? { maxRemediations: 0 } : {}) },
      fake.ports,
      { runId: 'r' },
    );
    expect(report.groups).toEqual([
      expect.objectContaining({ outcome, from: { kmsKeyId: OLD, reason: 'key-disabled' } }),
    ]);
    // The key stays at risk in the report: the group's logs are still on it.
    expect(report.keysInUse.find((k) => k.arn === OLD)).toMatchObject({
      verdict: 'at-risk',
      groupsAtRisk: 1,
    });
  });

  it('is skipped with its old key when the target key cannot be used', async () => {
    const fake = createFakePorts({
      groups: [group('/a', { kmsKeyId: OLD })],
      key: goodKey({ state: 'Disabled' }),
    });
    const { report } = await runRemediation(
      baseConfig({ otherKeys: 'reassociate' }),
      { trigger: 'manual' },
      fake.ports,
      {
        runId: 'r',
      },
    );
    expect(report.groups).toEqual([
      expect.objectContaining({
        outcome: 'skipped',
        reason: 'key-unusable',
        from: { kmsKeyId: OLD, reason: 'not-target-key' },
      }),
    ]);
  });
});
