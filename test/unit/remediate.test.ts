import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyLookupError, ReportPublishError } from '../../lib/core/errors';
import type { RunRequest } from '../../lib/core/event';
import { parseEvent } from '../../lib/core/event';
import type { Report } from '../../lib/core/types';
import { runRemediation } from '../../lib/run/run-request';
import {
  ACCOUNT,
  baseConfig,
  createFakePorts,
  type FakeAccount,
  goodKey,
  group,
  KEY_ARN,
  LOGS_STATEMENT,
  policyDocument,
  ROOT_STATEMENT,
} from '../support/fakes';

const manual: RunRequest = { trigger: 'manual' };
const context = { runId: 'run-1', account: ACCOUNT };

async function run(account: FakeAccount, config = baseConfig(), request: RunRequest = manual) {
  const fake = createFakePorts(account);
  const result = await runRemediation(config, request, fake.ports, context);
  return { ...fake, ...result };
}

function outcomeOf(report: Report, name: string) {
  return report.groups.find((g) => g.logGroupName === name);
}

function expectTotalsAddUp(report: Report) {
  const { scanned, ...rest } = report.totals;
  expect(Object.values(rest).reduce((a, b) => a + b, 0)).toBe(scanned);
}

describe('runRemediation', () => {
  it('associates every unencrypted group with the key ARN and counts encrypted ones', async () => {
    // Prepare
    const groups = [group('/aws/rds/a'), group('/aws/lambda/b'), group('/done', { kmsKeyId: KEY_ARN })];

    // Act
    const { report, calls } = await run({ groups });

    // Assess
    // In DescribeLogGroups' order: by name.
    expect(calls.associate).toEqual([
      { logGroupName: '/aws/lambda/b', keyArn: KEY_ARN },
      { logGroupName: '/aws/rds/a', keyArn: KEY_ARN },
    ]);
    expect(report.totals).toMatchObject({ scanned: 3, alreadyEncrypted: 1, remediated: 2 });
    expect(report.groups.map((g) => g.outcome)).toEqual(['remediated', 'remediated']);
    expect(groups.every((g) => g.kmsKeyId === KEY_ARN)).toBe(true);
  });

  it('associates with the resolved ARN when the key is configured as an alias', async () => {
    const { calls } = await run(
      { groups: [group('/a')], key: goodKey({ requested: 'alias/logs' }) },
      baseConfig({ kmsKeyId: 'alias/logs' }),
    );
    expect(calls.readKeyFacts).toEqual(['alias/logs']);
    expect(calls.associate[0]?.keyArn).toBe(KEY_ARN);
  });

  it('never associates in a dry run, and says what would happen', async () => {
    const { report, calls } = await run({ groups: [group('/a'), group('/b')] }, baseConfig(), {
      trigger: 'manual',
      dryRun: true,
    });
    expect(calls.associate).toHaveLength(0);
    expect(report.dryRun).toBe(true);
    expect(report.totals.wouldRemediate).toBe(2);
    expect(report.groups.every((g) => g.outcome === 'would-remediate')).toBe(true);
  });

  it('lets the event turn a configured dry run into a live one and back', async () => {
    const live = await run({ groups: [group('/a')] }, baseConfig({ dryRun: true }), {
      trigger: 'manual',
      dryRun: false,
    });
    expect(live.calls.associate).toHaveLength(1);
    const dry = await run({ groups: [group('/a')] }, baseConfig({ dryRun: true }), manual);
    expect(dry.calls.associate).toHaveLength(0);
  });

  it('skips a DELIVERY-class group with a reason', async () => {
    const { report, calls } = await run({ groups: [group('/delivery', { logGroupClass: 'DELIVERY' })] });
    expect(calls.associate).toHaveLength(0);
    expect(outcomeOf(report, '/delivery')).toMatchObject({ outcome: 'skipped', reason: 'delivery-class' });
  });

  it.each([
    ['include patterns', { includePatterns: ['/aws/rds/*'] }, '/aws/lambda/x', 'include-patterns'],
    ['exclude patterns', { excludePatterns: ['/aws/lambda/*'] }, '/aws/lambda/x', 'exclude-patterns'],
  ])('excludes a group by %s', async (_label, overrides, name, reason) => {
    const { report, calls } = await run(
      { groups: [group('/aws/rds/y'), group(name)] },
      baseConfig(overrides),
    );
    expect(calls.associate.map((c) => c.logGroupName)).toEqual(['/aws/rds/y']);
    expect(outcomeOf(report, name)).toEqual({ outcome: 'excluded', logGroupName: name, reason });
  });

  it.each([
    ['any value', { key: 'keep-plain' }, { 'keep-plain': 'x' }, true],
    ['the given value', { key: 'encrypt', value: 'no' }, { encrypt: 'no' }, true],
    ['another value', { key: 'encrypt', value: 'no' }, { encrypt: 'yes' }, false],
    ['no tag', { key: 'encrypt' }, {}, false],
  ])('applies the exclude tag with %s', async (_label, excludeTag, tags, excluded) => {
    const { report, calls } = await run(
      { groups: [group('/t')], tags: { '/t': tags } },
      baseConfig({ excludeTag }),
    );
    expect(outcomeOf(report, '/t')?.outcome).toBe(excluded ? 'excluded' : 'remediated');
    expect(calls.associate).toHaveLength(excluded ? 0 : 1);
  });

  it('reads tags only for groups that would otherwise change', async () => {
    const { calls } = await run(
      {
        groups: [
          group('/encrypted', { kmsKeyId: KEY_ARN }),
          group('/excluded'),
          group('/delivery', { logGroupClass: 'DELIVERY' }),
          group('/candidate'),
        ],
      },
      baseConfig({ excludePatterns: ['/excluded'], excludeTag: { key: 'k' } }),
    );
    expect(calls.listTags).toEqual([group('/candidate').logGroupArn]);
  });

  it('reads no tags when EXCLUDE_TAG is unset', async () => {
    const { calls } = await run({ groups: [group('/a'), group('/b')] });
    expect(calls.listTags).toHaveLength(0);
  });

  it('stops at maxRemediations and reports the rest as not reached', async () => {
    const groups = ['/a', '/b', '/c', '/d', '/e'].map((n) => group(n));
    const { report, calls } = await run({ groups }, baseConfig(), { trigger: 'manual', maxRemediations: 2 });
    expect(calls.associate).toHaveLength(2);
    expect(report.totals).toMatchObject({ remediated: 2, notReached: 3 });
    expect(
      report.groups
        .filter((g) => g.outcome === 'not-reached')
        .every((g) => 'reason' in g && g.reason === 'max-remediations'),
    ).toBe(true);
  });

  it('caps would-remediate in a dry run the same way', async () => {
    const groups = ['/a', '/b', '/c'].map((n) => group(n));
    const { report } = await run({ groups }, baseConfig(), {
      trigger: 'manual',
      dryRun: true,
      maxRemediations: 1,
    });
    expect(report.totals).toMatchObject({ wouldRemediate: 1, notReached: 2 });
  });

  it.each([
    ['disabled', goodKey({ state: 'Disabled' }), 'KEY_NOT_ENABLED', 'key-disabled'],
    ['asymmetric', goodKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }), 'KEY_NOT_SYMMETRIC', undefined],
    [
      'missing',
      {
        found: false,
        requested: KEY_ARN,
        errorCode: 'NotFoundException',
        message: 'x',
        transient: false,
      } as const,
      'KEY_NOT_FOUND',
      'key-not-found',
    ],
    [
      'without the logs statement',
      goodKey({ policy: { readable: true, document: policyDocument(ROOT_STATEMENT) } }),
      'KEY_POLICY_DENIES_LOGS',
      'key-policy-revoked',
    ],
  ])(
    'attempts no association when the key is %s, and skips every candidate',
    async (_label, key, code, atRisk) => {
      const { report, calls } = await run({
        groups: [group('/a'), group('/b'), group('/c', { kmsKeyId: KEY_ARN })],
        key,
      });
      expect(calls.associate).toHaveLength(0);
      expect(report.key.usable).toBe(false);
      expect(report.key.problems.map((p) => p.code)).toContain(code);
      const candidates = report.groups.filter((g) => g.logGroupName !== '/c');
      expect(candidates.every((g) => g.outcome === 'skipped' && g.reason === 'key-unusable')).toBe(true);
      // The group already on the target key shares its trouble, where the trouble loses its logs.
      if (atRisk) {
        expect(report.totals).toMatchObject({ scanned: 3, alreadyEncrypted: 0, skipped: 2, atRisk: 1 });
        expect(report.groups).toContainEqual(
          expect.objectContaining({ logGroupName: '/c', outcome: 'at-risk', reason: atRisk }),
        );
      } else {
        expect(report.totals).toMatchObject({ scanned: 3, alreadyEncrypted: 1, skipped: 2, atRisk: 0 });
      }
    },
  );

  it('carries the exact statement to add when the policy lacks it', async () => {
    const { report } = await run({
      groups: [group('/a')],
      key: goodKey({ policy: { readable: true, document: policyDocument(ROOT_STATEMENT) } }),
    });
    expect(report.key.policyFix).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Condition: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:*` },
      },
    });
  });

  it('decides per group when the policy condition scopes the key to some groups', async () => {
    const scoped = {
      ...LOGS_STATEMENT,
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/rds/*`,
        },
      },
    };
    const { report, calls } = await run({
      groups: [group('/aws/rds/a'), group('/aws/lambda/b')],
      key: goodKey({ policy: { readable: true, document: policyDocument(ROOT_STATEMENT, scoped) } }),
    });
    expect(calls.associate.map((c) => c.logGroupName)).toEqual(['/aws/rds/a']);
    expect(outcomeOf(report, '/aws/lambda/b')).toMatchObject({
      outcome: 'skipped',
      reason: 'key-policy-scope',
    });
    expect(report.key.usable).toBe(true);
    expect(report.key.warnings.map((w) => w.code)).toContain('KEY_POLICY_SCOPED');
  });

  it('tries the associations when the policy is unreadable, and explains AccessDenied with the fix', async () => {
    const { report, calls } = await run({
      groups: [group('/a'), group('/b')],
      key: goodKey({ policy: { readable: false, errorCode: 'AccessDeniedException', message: 'denied' } }),
      associateErrors: {
        '/a': {
          kind: 'access-denied',
          code: 'AccessDeniedException',
          message: "The specified KMS key does not exist or is not allowed to be used with LogGroup 'x'",
        },
      },
    });
    expect(calls.associate).toHaveLength(2);
    expect(report.key.usable).toBe(true);
    expect(report.key.problems.map((p) => p.code)).toEqual(['KEY_POLICY_UNREADABLE']);
    const failed = outcomeOf(report, '/a');
    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'AccessDeniedException' });
    expect(failed && 'message' in failed && failed.message).toMatch(
      /logs\.us-east-1\.amazonaws\.com.*policyFix/,
    );
    expect(report.key.policyFix).toBeDefined();
    expect(outcomeOf(report, '/b')?.outcome).toBe('remediated');
  });

  it('records a failure on one group and goes on with the others', async () => {
    const groups = ['/a', '/b', '/c'].map((n) => group(n));
    const { report } = await run({
      groups,
      associateErrors: {
        '/b': { kind: 'invalid-parameter', code: 'InvalidParameterException', message: 'nope' },
      },
    });
    expect(outcomeOf(report, '/b')).toEqual({
      outcome: 'failed',
      logGroupName: '/b',
      errorCode: 'InvalidParameterException',
      message: 'nope',
    });
    expect(report.totals).toMatchObject({ remediated: 2, failed: 1 });
  });

  it('skips a group deleted mid-run', async () => {
    const { report } = await run({
      groups: [group('/gone'), group('/here')],
      associateErrors: { '/gone': { kind: 'not-found', code: 'ResourceNotFoundException', message: 'gone' } },
    });
    expect(outcomeOf(report, '/gone')).toMatchObject({ outcome: 'skipped', reason: 'group-deleted' });
    expect(outcomeOf(report, '/here')?.outcome).toBe('remediated');
  });

  it('bounds the associations in flight', async () => {
    const groups = Array.from({ length: 40 }, (_, i) => group(`/g${i}`));
    const { calls } = await run({ groups }, baseConfig({ associateConcurrency: 3 }));
    expect(calls.associate).toHaveLength(40);
    expect(calls.maxConcurrentAssociations).toBe(3);
  });

  it('accounts for every scanned group exactly once across many pages', async () => {
    // Prepare: 230 groups in 5 pages, a mix of every fate.
    const groups = Array.from({ length: 230 }, (_, i) => {
      if (i % 5 === 0) return group(`/enc/${i}`, { kmsKeyId: KEY_ARN });
      if (i % 7 === 0) return group(`/skip/${i}`);
      if (i % 11 === 0) return group(`/delivery/${i}`, { logGroupClass: 'DELIVERY' });
      return group(`/app/${i}`);
    });
    const associateErrors = { '/app/1': { kind: 'other' as const, code: 'Boom', message: 'boom' } };

    // Act
    const { report, calls } = await run(
      { groups, associateErrors },
      baseConfig({ excludePatterns: ['/skip/*'] }),
    );

    // Assess
    expect(calls.describePages).toBe(5);
    expect(report.totals.scanned).toBe(230);
    expectTotalsAddUp(report);
    const listed = report.groups.map((g) => g.logGroupName);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.length + report.totals.alreadyEncrypted).toBe(230);
  });

  it('takes the account from the key ARN when the function ARN gives none (outside Lambda)', async () => {
    const fake = createFakePorts({ groups: [group('/a')], key: goodKey({ requested: 'alias/logs' }) });
    const { report } = await runRemediation(baseConfig({ kmsKeyId: 'alias/logs' }), manual, fake.ports, {
      runId: 'r',
    });
    expect(report.account).toBe(ACCOUNT);
    expect(report.totals.remediated).toBe(1);
  });

  it('emits the run’s metrics once, even when the report cannot be published', async () => {
    const fake = createFakePorts({
      groups: [group('/a'), group('/b', { kmsKeyId: KEY_ARN })],
      publishFails: true,
    });
    await expect(runRemediation(baseConfig(), manual, fake.ports, context)).rejects.toBeInstanceOf(
      ReportPublishError,
    );
    expect(fake.calls.metrics).toHaveLength(1);
    const figures = Object.fromEntries((fake.calls.metrics[0] ?? []).map((m) => [m.name, m.value]));
    expect(figures).toMatchObject({ Scanned: 2, UnencryptedFound: 1, Remediated: 1, KeyUsable: 1 });
  });

  it('publishes the report with a subject and attributes', async () => {
    const { calls, report } = await run({ groups: [group('/a')] });
    expect(calls.published).toHaveLength(1);
    const [message] = calls.published;
    expect(message?.attributes).toEqual({
      status: 'remediated',
      dryRun: 'false',
      account: ACCOUNT,
      region: 'us-east-1',
    });
    expect(JSON.parse(JSON.parse(message?.message ?? '{}').sqs)).toEqual(report);
  });

  it.each([
    ['compliant account, findings only', 'findings' as const, [group('/e', { kmsKeyId: KEY_ARN })], 0],
    ['compliant account, always', 'always' as const, [group('/e', { kmsKeyId: KEY_ARN })], 1],
    ['a change, findings only', 'findings' as const, [group('/a')], 1],
  ])('publishes per REPORT_WHEN: %s', async (_label, reportWhen, groups, published) => {
    const result = await run({ groups }, baseConfig({ reportWhen }));
    expect(result.calls.published).toHaveLength(published);
    expect(result.published).toBe(published === 1);
  });

  it('lets the event override REPORT_WHEN', async () => {
    const { calls } = await run({ groups: [] }, baseConfig({ reportWhen: 'findings' }), {
      trigger: 'manual',
      report: 'always',
    });
    expect(calls.published).toHaveLength(1);
  });

  it('fails the invocation when the report cannot be published, logging the whole report and keeping the changes', async () => {
    const fake = createFakePorts({ groups: [group('/a')], publishFails: true });
    await expect(runRemediation(baseConfig(), manual, fake.ports, context)).rejects.toBeInstanceOf(
      ReportPublishError,
    );
    const errorLine = fake.logs.find(
      (l) => l.level === 'error' && l.message === 'Report could not be published',
    );
    const logged = errorLine?.extra[0] as { report: Report } | undefined;
    expect(logged?.report.totals.remediated).toBe(1);
    expect(fake.calls.associate).toHaveLength(1);
  });

  it('reports the groups scanned so far when the scan fails after retries', async () => {
    const groups = Array.from({ length: 120 }, (_, i) => group(`/g${i}`));
    const { report } = await run({ groups, scanFailsAfterPages: 2 });
    expect(report.complete).toBe(false);
    expect(report.scanError?.code).toBe('ThrottlingException');
    expect(report.totals.scanned).toBe(100);
    expectTotalsAddUp(report);
  });

  it('logs one structured line per changed, skipped or failed group', async () => {
    const { logs } = await run({
      groups: [group('/a'), group('/d', { logGroupClass: 'DELIVERY' })],
      associateErrors: { '/a': { kind: 'other', code: 'Boom', message: 'boom' } },
    });
    const lines = logs.filter((l) => l.message === 'Log group outcome');
    const logged = (l: (typeof lines)[number]) =>
      l.extra[0]?.logGroup as { logGroupName: string; outcome: string };
    expect(lines.map((l) => [l.level, logged(l).logGroupName, logged(l).outcome])).toEqual([
      ['warn', '/d', 'skipped'],
      ['error', '/a', 'failed'],
    ]);
  });

  it('logs excluded groups at INFO, the level the stack keeps, since a trimmed report may leave them out', async () => {
    const { logs } = await run({ groups: [group('/x/a')] }, baseConfig({ excludePatterns: ['/x/*'] }));
    const line = logs.find((l) => l.message === 'Log group outcome');
    expect(line).toMatchObject({ level: 'info', extra: [{ logGroup: { outcome: 'excluded' } }] });
  });

  it('blames the function’s role, not the key policy, when IAM denies the call, and offers no key-policy fix', async () => {
    const role = 'arn:aws:sts::123456789012:assumed-role/remediator-role/fn';
    const { report } = await run({
      groups: [group('/a')],
      associateErrors: {
        '/a': {
          kind: 'access-denied',
          code: 'AccessDeniedException',
          message: `User: ${role} is not authorized to perform: logs:AssociateKmsKey on resource: arn:aws:logs:us-east-1:123456789012:log-group:/a because no identity-based policy allows the logs:AssociateKmsKey action`,
        },
      },
    });
    const failed = outcomeOf(report, '/a');
    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'AccessDeniedException' });
    const message = failed && 'message' in failed ? (failed.message ?? '') : '';
    expect(message).toContain(role);
    expect(message).toContain('logs:AssociateKmsKey');
    expect(message).not.toMatch(/policyFix/);
    expect(report.key.policyFix).toBeUndefined();
  });

  describe('when DescribeKey fails in passing', () => {
    const throttled = {
      found: false,
      requested: KEY_ARN,
      errorCode: 'ThrottlingException',
      message: 'Rate exceeded',
      transient: true,
    } as const;

    it('reports the key as unknown, never as not found, and changes nothing', async () => {
      const { report, calls } = await run({ groups: [group('/a')], key: throttled });
      expect(report.key.problems.map((p) => p.code)).toEqual(['KEY_LOOKUP_FAILED']);
      expect(report.key.problems[0]?.message).toContain('ThrottlingException');
      expect(outcomeOf(report, '/a')).toMatchObject({ outcome: 'skipped', reason: 'key-unchecked' });
      expect(calls.associate).toHaveLength(0);
    });

    it('fails a new group’s run, so that the event is tried again, before any association', async () => {
      const fake = createFakePorts({ groups: [group('/new')], key: throttled });
      const request: RunRequest = {
        trigger: 'cloudtrail',
        createdLogGroup: { logGroupName: '/new', eventTime: '2026-11-30T10:00:00Z' },
      };
      await expect(runRemediation(baseConfig(), request, fake.ports, context)).rejects.toThrow(
        KeyLookupError,
      );
      expect(fake.calls.associate).toHaveLength(0);
      expect(fake.calls.published).toHaveLength(0);
    });
  });
});

describe('runRemediation under a deadline', () => {
  /** A clock that leaves `budget` calls before the margin is reached. */
  const deadlineAfter = (budget: number) => {
    let calls = 0;
    return () => (calls++ < budget ? 300_000 : 1_000);
  };

  it('stops starting work near the deadline and hands the rest over with a resume token', async () => {
    // Prepare: 120 groups in pages of 50; time runs out once 70 associations were made.
    const groups = Array.from({ length: 120 }, (_, i) => group(`/g${String(i).padStart(3, '0')}`));
    const fake = createFakePorts({ groups });
    const remainingTimeMs = () => (fake.calls.associate.length >= 70 ? 1_000 : 300_000);

    // Act
    const first = await runRemediation(baseConfig({ associateConcurrency: 1 }), manual, fake.ports, {
      ...context,
      remainingTimeMs,
    });

    // Assess
    expect(first.report.complete).toBe(false);
    expect(first.report.resumeToken).toEqual(expect.any(String));
    expect(first.report.totals).toMatchObject({ scanned: 100, remediated: 70, notReached: 30 });
    expect(
      first.report.groups
        .filter((g) => g.outcome === 'not-reached')
        .every((g) => 'reason' in g && g.reason === 'deadline'),
    ).toBe(true);
  });

  it('finishes the sweep when resumed, each group accounted for once across the two reports', async () => {
    // Prepare
    const groups = Array.from({ length: 120 }, (_, i) =>
      group(`/g${String(i).padStart(3, '0')}`, i % 4 === 0 ? { kmsKeyId: KEY_ARN } : {}),
    );
    const fake = createFakePorts({ groups });
    const first = await runRemediation(baseConfig(), manual, fake.ports, {
      ...context,
      remainingTimeMs: deadlineAfter(60),
    });
    const { parseEvent } = await import('../../lib/core/event');

    // Act
    const second = await runRemediation(
      baseConfig(),
      parseEvent({ resumeToken: first.report.resumeToken }),
      fake.ports,
      context,
    );

    // Assess: the not-reached groups of the first run are exactly the groups the second run starts with.
    expect(second.report.complete).toBe(true);
    expect(second.report.resumeToken).toBeUndefined();
    const handedOver = first.report.totals.notReached;
    expect(first.report.totals.scanned - handedOver + second.report.totals.scanned).toBe(120);
    const finalNames = [
      ...first.report.groups.filter((g) => g.outcome !== 'not-reached'),
      ...second.report.groups,
    ].map((g) => g.logGroupName);
    expect(new Set(finalNames).size).toBe(finalNames.length);
    expect(
      finalNames.length + first.report.totals.alreadyEncrypted + second.report.totals.alreadyEncrypted,
    ).toBe(120);
    expect(groups.every((g) => g.kmsKeyId === KEY_ARN)).toBe(true);
  });

  it('stops between pages when time runs out after a page', async () => {
    // Prepare: 100 excluded groups; time runs out once the 50 of the first page are accounted for.
    const groups = Array.from({ length: 100 }, (_, i) => group(`/x/g${String(i).padStart(3, '0')}`));
    const fake = createFakePorts({ groups });
    const decided = () => fake.logs.filter((l) => l.message === 'Log group outcome').length;

    // Act
    const { report } = await runRemediation(baseConfig({ excludePatterns: ['/x/*'] }), manual, fake.ports, {
      ...context,
      remainingTimeMs: () => (decided() >= 50 ? 1_000 : 300_000),
    });

    // Assess: the check between pages stops the run, so the second page is never scanned (it may have
    // been read ahead, and is dropped).
    expect(report.totals).toMatchObject({ scanned: 50, excluded: 50, notReached: 0 });
    expect(report.complete).toBe(false);
    expect(parseEvent({ resumeToken: report.resumeToken }).resumeFrom).toEqual({ pageToken: '50' });
  });

  it('stops reading pages ahead as the deadline nears, so none is read only to be dropped', async () => {
    // Prepare: 500 encrypted groups in 10 pages; from the start the run is within the read-ahead lead.
    const groups = Array.from({ length: 500 }, (_, i) =>
      group(`/g${String(i).padStart(3, '0')}`, { kmsKeyId: KEY_ARN }),
    );
    const fake = createFakePorts({ groups });
    let checks = 0;

    // Act: 24 s left (inside margin + lead), then the margin after 120 checks.
    const { report } = await runRemediation(baseConfig(), manual, fake.ports, {
      ...context,
      remainingTimeMs: () => (checks++ < 120 ? 24_000 : 1_000),
    });

    // Assess: every page read was scanned, at least in part.
    const pagesScanned = Math.ceil(report.totals.scanned / 50);
    expect(report.complete).toBe(false);
    expect(fake.calls.describePages).toBe(pagesScanned);
  });
});

describe('resuming a run that stopped at its deadline', () => {
  const deadlineAfter = (budget: number) => {
    let calls = 0;
    return () => (calls++ < budget ? 300_000 : 1_000);
  };
  const names = (n: number) => Array.from({ length: n }, (_, i) => `/g${String(i).padStart(3, '0')}`);

  it('continues a dry run as a dry run, even where DRY_RUN is false: zero associations', async () => {
    // Prepare: a dry run asked for by the event, in a function whose default is live.
    const fake = createFakePorts({ groups: names(120).map((n) => group(n)) });
    const live = baseConfig({ dryRun: false });
    const first = await runRemediation(live, { trigger: 'manual', dryRun: true }, fake.ports, {
      ...context,
      remainingTimeMs: deadlineAfter(60),
    });

    // Act: exactly the event the report says to send.
    const second = await runRemediation(
      live,
      parseEvent({ resumeToken: first.report.resumeToken }),
      fake.ports,
      context,
    );

    // Assess
    expect(fake.calls.associate).toHaveLength(0);
    expect(second.report.dryRun).toBe(true);
    expect(second.report.totals.remediated).toBe(0);
    expect(first.report.totals.wouldRemediate + second.report.totals.wouldRemediate).toBe(120);
  });

  it('carries the remediations left, so maxRemediations holds across the invocations', async () => {
    const fake = createFakePorts({ groups: names(120).map((n) => group(n)) });
    const first = await runRemediation(baseConfig(), { trigger: 'manual', maxRemediations: 80 }, fake.ports, {
      ...context,
      remainingTimeMs: deadlineAfter(60),
    });
    const resumed = parseEvent({ resumeToken: first.report.resumeToken });
    expect(resumed.maxRemediations).toBe(80 - first.report.totals.remediated);

    const second = await runRemediation(baseConfig(), resumed, fake.ports, context);

    expect(fake.calls.associate).toHaveLength(80);
    expect(first.report.totals.remediated + second.report.totals.remediated).toBe(80);
    expect(second.report.groups.filter((g) => g.outcome === 'not-reached')).toHaveLength(40);
    expect(first.report.totals.scanned - first.report.totals.notReached + second.report.totals.scanned).toBe(
      120,
    );
  });

  it('visits every group that lived through the pause exactly once, though groups came and went in its page', async () => {
    // Prepare: stop in the second page (groups 50-99) after about 70 groups.
    const groups = names(120).map((n) => group(n));
    const fake = createFakePorts({ groups });
    const first = await runRemediation(baseConfig({ associateConcurrency: 1 }), manual, fake.ports, {
      ...context,
      remainingTimeMs: () => (fake.calls.associate.length >= 70 ? 1_000 : 300_000),
    });
    const done = first.report.groups.filter((g) => g.outcome === 'remediated').map((g) => g.logGroupName);
    expect(done).toHaveLength(70);
    // Between the invocations: two done groups of that page deleted, one created among them, one created ahead.
    for (const gone of ['/g055', '/g060'])
      groups.splice(
        groups.findIndex((g) => g.logGroupName === gone),
        1,
      );
    groups.push(group('/g060a'), group('/g085a'));

    // Act
    const second = await runRemediation(
      baseConfig(),
      parseEvent({ resumeToken: first.report.resumeToken }),
      fake.ports,
      context,
    );

    // Assess: no group is associated twice, and none that lived through the pause is missed.
    const associated = fake.calls.associate.map((c) => c.logGroupName);
    expect(new Set(associated).size).toBe(associated.length);
    const survivors = names(120).filter((n) => n !== '/g055' && n !== '/g060');
    expect(survivors.every((n) => associated.includes(n))).toBe(true);
    // The group created ahead of the stop is picked up by this sweep; the one behind it by the next.
    expect(associated).toContain('/g085a');
    expect(associated).not.toContain('/g060a');
    expect(second.report.complete).toBe(true);
  });
});

describe('runRemediation when the key goes bad mid-run', () => {
  it('skips the remaining groups with key-unusable once the key is disabled, and says why', async () => {
    // Prepare: the key is disabled after 10 associations; one association at a time for a sharp count.
    const groups = Array.from({ length: 40 }, (_, i) => group(`/g${String(i).padStart(2, '0')}`));

    // Act
    const { report, calls } = await run(
      { groups, disableKeyAfter: 10 },
      baseConfig({ associateConcurrency: 1 }),
    );

    // Assess
    expect(report.totals).toMatchObject({ remediated: 10, skipped: 30, failed: 0 });
    expect(
      report.groups.filter((g) => g.outcome === 'skipped').every((g) => g.reason === 'key-unusable'),
    ).toBe(true);
    expect(report.key.usable).toBe(false);
    expect(report.key.problems).toEqual([
      { code: 'KEY_NOT_ENABLED', message: expect.stringMatching(/^During the run: .*Disabled/) },
    ]);
    expect(calls.associate).toHaveLength(11);
    expect(calls.readKeyFacts).toHaveLength(2);
  });

  it('keeps going when failures are not the key’s fault, checking the key a bounded number of times', async () => {
    const groups = Array.from({ length: 30 }, (_, i) => group(`/g${i}`));
    const associateErrors = Object.fromEntries(
      groups.map((g) => [
        g.logGroupName,
        { kind: 'invalid-parameter' as const, code: 'InvalidParameterException', message: 'x' },
      ]),
    );
    const { report, calls } = await run({ groups, associateErrors }, baseConfig({ associateConcurrency: 1 }));
    expect(report.totals.failed).toBe(30);
    expect(report.key.usable).toBe(true);
    expect(calls.readKeyFacts.length).toBeLessThanOrEqual(1 + 5);
  });
});

describe('a run started by a CloudTrail KMS key event', () => {
  const keyDisabled = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'events', 'key-disabled.json'), 'utf8'),
  ) as Record<string, unknown>;

  it.each<[string, unknown]>([
    ['delivered to the function directly (scheduleTarget=lambda)', keyDisabled],
    ['as the start of a Step Functions sweep', { sweep: {}, start: keyDisabled }],
  ])('is an ordinary run of every group, %s, not a run for one new group', async (_door, event) => {
    // Prepare
    const request = parseEvent(event);
    const groups = [group('/a'), group('/b', { kmsKeyId: KEY_ARN }), group('/c')];
    const fake = createFakePorts({ groups });

    // Act
    const { report, published } = await runRemediation(baseConfig(), request, fake.ports, context);

    // Assess: the whole account scanned and reported, as a scheduled run would be.
    expect(request.keyEvent).toMatchObject({ eventName: 'DisableKey' });
    expect(fake.calls.findLogGroup).toEqual([]);
    expect(fake.calls.describePages).toBeGreaterThan(0);
    expect(report.totals).toMatchObject({ scanned: 3, alreadyEncrypted: 1, remediated: 2 });
    expectTotalsAddUp(report);
    // reportWhen 'always' (baseConfig): the created-group door would publish only problems.
    expect(published).toBe(true);
    expect(fake.calls.published).toHaveLength(1);
    const metricNames = (fake.calls.metrics[0] ?? []).map((m) => m.name);
    expect(metricNames).toContain('Scanned');
    expect(metricNames).not.toContain('RealtimeRemediated');
  });
});
