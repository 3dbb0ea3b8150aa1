import type { AsffFinding, FindingsContext } from '../../lib/core/findings';
import { buildFindings, findingIdOf, GENERATOR_ID, resolvedFinding } from '../../lib/core/findings';
import { packImportMessages, parseFindingsMessage } from '../../lib/core/findings-message';
import type { GroupOutcome, KeyInUse } from '../../lib/core/types';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OLD = 'arn:aws:kms:us-east-1:123456789012:key/0ld00000-0000-4000-8000-000000000000';
const AT = '2026-01-02T03:04:05.000Z';
const pending: KeyInUse = {
  arn: OLD,
  groups: 1,
  verdict: 'at-risk',
  state: 'PendingDeletion',
  deletionDate: '2026-01-09T00:00:00.000Z',
};

const CTX: FindingsContext = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  at: AT,
  targetKeyArn: KEY,
  keysInUse: [pending],
  exclusion: { includePatterns: [], excludePatterns: ['/aws/rds/*'], excludeTag: 'no-kms' },
};
const msg = 'm';

describe('buildFindings', () => {
  it.each<[string, GroupOutcome, string | undefined, string | undefined, string | undefined]>([
    ['remediated', { outcome: 'remediated', logGroupName: '/a' }, undefined, undefined, undefined],
    [
      'reassociated',
      { outcome: 'reassociated', logGroupName: '/a', reason: 'key-disabled', message: msg, kmsKeyId: OLD },
      undefined,
      undefined,
      undefined,
    ],
    ['would-remediate', { outcome: 'would-remediate', logGroupName: '/a' }, 'MEDIUM', 'FAILED', 'NEW'],
    [
      'skipped',
      { outcome: 'skipped', logGroupName: '/a', reason: 'delivery-class' },
      'MEDIUM',
      'FAILED',
      'NEW',
    ],
    [
      'failed',
      { outcome: 'failed', logGroupName: '/a', errorCode: 'X', message: msg },
      'MEDIUM',
      'FAILED',
      'NEW',
    ],
    [
      'not-reached',
      { outcome: 'not-reached', logGroupName: '/a', reason: 'deadline' },
      'MEDIUM',
      'FAILED',
      'NEW',
    ],
    [
      'not moved off a key pending deletion (the cap)',
      {
        outcome: 'not-reached',
        logGroupName: '/a',
        reason: 'max-remediations',
        from: { kmsKeyId: OLD, reason: 'key-pending-deletion' },
      },
      'CRITICAL',
      'FAILED',
      'NEW',
    ],
    [
      'not moved off another key (a failed association)',
      {
        outcome: 'failed',
        logGroupName: '/a',
        errorCode: 'X',
        message: msg,
        from: { kmsKeyId: OLD, reason: 'not-target-key' },
      },
      'LOW',
      'FAILED',
      'NEW',
    ],
    [
      'excluded',
      { outcome: 'excluded', logGroupName: '/a', reason: 'exclude-tag' },
      'MEDIUM',
      'FAILED',
      'SUPPRESSED',
    ],
    [
      'pending deletion',
      { outcome: 'at-risk', logGroupName: '/a', reason: 'key-pending-deletion', message: msg, kmsKeyId: OLD },
      'CRITICAL',
      'FAILED',
      'NEW',
    ],
    [
      'disabled',
      { outcome: 'at-risk', logGroupName: '/a', reason: 'key-disabled', message: msg, kmsKeyId: OLD },
      'HIGH',
      'FAILED',
      'NEW',
    ],
    [
      'deleted',
      { outcome: 'at-risk', logGroupName: '/a', reason: 'key-not-found', message: msg, kmsKeyId: OLD },
      'HIGH',
      'FAILED',
      'NEW',
    ],
    [
      'revoked',
      { outcome: 'at-risk', logGroupName: '/a', reason: 'key-policy-revoked', message: msg, kmsKeyId: OLD },
      'HIGH',
      'FAILED',
      'NEW',
    ],
    [
      'other-key',
      { outcome: 'other-key', logGroupName: '/a', reason: 'not-target-key', message: msg, kmsKeyId: OLD },
      'LOW',
      'FAILED',
      'NEW',
    ],
    [
      'would-reassociate other key',
      {
        outcome: 'would-reassociate',
        logGroupName: '/a',
        reason: 'not-target-key',
        message: msg,
        kmsKeyId: OLD,
      },
      'LOW',
      'FAILED',
      'NEW',
    ],
    [
      'would-reassociate disabled',
      {
        outcome: 'would-reassociate',
        logGroupName: '/a',
        reason: 'key-disabled',
        message: msg,
        kmsKeyId: OLD,
      },
      'HIGH',
      'FAILED',
      'NEW',
    ],
    [
      'unverified',
      { outcome: 'unverified', logGroupName: '/a', reason: 'key-unreadable', message: msg, kmsKeyId: OLD },
      'INFORMATIONAL',
      'WARNING',
      'NEW',
    ],
  ])('%s: severity %p, compliance %p, workflow %p', (_name, outcome, severity, compliance, workflow) => {
    const [finding, ...more] = buildFindings([outcome], CTX);
    expect(more).toEqual([]);
    expect(finding?.Severity.Label).toBe(severity);
    expect(finding?.FindingProviderFields.Severity.Label).toBe(severity);
    expect(finding?.Compliance.Status).toBe(compliance);
    expect(finding?.Workflow?.Status).toBe(workflow);
  });

  it('fills every required ASFF field, the group’s ARN as the resource and the fix', () => {
    const [f] = buildFindings([{ outcome: 'would-remediate', logGroupName: '/app/x' }], CTX);
    expect(f).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: 'logs-kms-remediator/us-east-1/123456789012//app/x',
      ProductArn: 'arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default',
      GeneratorId: GENERATOR_ID,
      AwsAccountId: '123456789012',
      CreatedAt: AT,
      UpdatedAt: AT,
      RecordState: 'ACTIVE',
      Resources: [
        { Type: 'Other', Id: 'arn:aws:logs:us-east-1:123456789012:log-group:/app/x', Region: 'us-east-1' },
      ],
    });
    expect(f?.Types[0]).toMatch(/^Software and Configuration Checks\//);
    expect(f?.Remediation?.Recommendation.Text).toContain(`--log-group-name '/app/x' --kms-key-id ${KEY}`);
  });

  it('names the key, its state and its deletion date for a group at risk, with the fix', () => {
    const [f] = buildFindings(
      [
        {
          outcome: 'at-risk',
          logGroupName: '/a',
          reason: 'key-pending-deletion',
          message: msg,
          kmsKeyId: OLD,
        },
      ],
      {
        ...CTX,
        keysInUse: [
          { ...pending, fix: { commands: ['aws kms cancel-key-deletion'], ifNothingIsDone: 'lost' } },
        ],
      },
    );
    expect(f?.Description).toContain('PendingDeletion');
    expect(f?.Description).toContain('2026-01-09');
    expect(f?.Resources[0]?.Details?.Other).toMatchObject({ kmsKeyId: OLD, keyState: 'PendingDeletion' });
    expect(f?.Remediation?.Recommendation.Text).toContain('cancel-key-deletion');
  });

  it('says which rule excluded a group', () => {
    const [f] = buildFindings(
      [{ outcome: 'excluded', logGroupName: '/aws/rds/x', reason: 'exclude-patterns' }],
      CTX,
    );
    expect(f?.Description).toContain('EXCLUDE_PATTERNS (/aws/rds/*)');
  });

  it.each([
    ['/short', false],
    [`/${'x'.repeat(511)}`, true],
  ])('keeps the Id stable and within 512 characters (%#)', (name, hashed) => {
    const id = findingIdOf('us-east-1', '123456789012', name);
    expect(id).toBe(findingIdOf('us-east-1', '123456789012', name));
    expect(id.length).toBeLessThanOrEqual(512);
    expect(id.includes('sha-fnv1a64-')).toBe(hashed);
    expect(findingIdOf('us-east-1', '123456789012', `${name}y`)).not.toBe(id);
  });
});

describe('resolvedFinding', () => {
  it('keeps the provider’s fields only, archived and PASSED, with the resolve time', () => {
    const [f] = buildFindings([{ outcome: 'would-remediate', logGroupName: '/a' }], CTX);
    const found = {
      ...f,
      Note: { Text: 'x' },
      ProductFields: { 'aws/securityhub/ProductName': 'Default', 'logs-kms-remediator/logGroupName': '/a' },
    };
    const r = resolvedFinding(found as AsffFinding, '2026-01-03T00:00:00.000Z');
    expect(r).toMatchObject({
      Compliance: { Status: 'PASSED' },
      RecordState: 'ARCHIVED',
      UpdatedAt: '2026-01-03T00:00:00.000Z',
    });
    expect(r).not.toHaveProperty('Workflow');
    expect(r).not.toHaveProperty('Note');
    expect(r.ProductFields).toEqual({ 'logs-kms-remediator/logGroupName': '/a' });
  });
});

describe('packImportMessages', () => {
  it.each([0, 1, 100, 101, 250])('puts %i findings in messages of at most 100, each under 256 KiB', (n) => {
    const outcomes: GroupOutcome[] = Array.from({ length: n }, (_, i) => ({
      outcome: 'would-remediate',
      logGroupName: `/g/${i}/${'p'.repeat(400)}`,
    }));
    const { messages } = packImportMessages('run', buildFindings(outcomes, CTX), true);
    // Long names make 100 findings outgrow one message: then the size splits them.
    expect(messages.length).toBeGreaterThanOrEqual(Math.ceil(n / 100));
    for (const m of messages) {
      expect(m.findings.length).toBeLessThanOrEqual(100);
      expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThan(256 * 1024);
      expect(parseFindingsMessage(JSON.stringify(m))).toEqual(m);
    }
    expect(messages.flatMap((m) => m.findings).length).toBe(n);
  });
});

describe('parseFindingsMessage', () => {
  it.each<[string, string]>([
    ['not json', 'Message'],
    ['{"kind":"import"}', 'runId'],
    ['{"kind":"other","runId":"r"}', 'kind'],
    ['{"kind":"import","runId":"r","resolves":true,"findings":[{}]}', 'findings'],
    ['{"kind":"resolve","runId":"r","startedAt":"yesterday"}', 'startedAt'],
    [
      '{"kind":"resolve","runId":"r","startedAt":"2026-01-01T00:00:00Z","finishedAt":"2026-01-01T00:00:00Z","productArn":"x"}',
      'productArn',
    ],
  ])('rejects %s, naming %s', (text, field) => {
    expect(() => parseFindingsMessage(text)).toThrow(expect.objectContaining({ field }));
  });
});
