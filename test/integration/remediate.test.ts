import { ConfigError, EventError } from '../../lib/core/errors';
import type { Report } from '../../lib/core/types';
import {
  ACCOUNT,
  createGroups,
  createKey,
  createReportTopic,
  type KeyOptions,
  keyPolicy,
  REGION,
  type ReportTopic,
  readGroupKeys,
  receiveReports,
  seedClients,
} from '../support/aws-seed';
import { asReport, silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { lambdaContext } from '../support/lambda-context';

const h = useEmulator();
const silent = silentLogger();
let topic: ReportTopic;

beforeEach(async () => {
  await h.em.reset();
  topic = await createReportTopic(h.aws);
  await h.em.resetRequestCounts();
});

async function invoke(env: Record<string, string>, event: unknown = {}): Promise<Report> {
  const handler = h.buildHandler({ ...TEST_ENV, REPORT_TOPIC_ARN: topic.topicArn, ...env }, silent);
  return asReport(await handler(event, lambdaContext()));
}

async function setUp(groups: { unencrypted?: string[]; encrypted?: string[] }, key: KeyOptions = {}) {
  const keyArn = await createKey(h.aws.kms, key);
  await createGroups(h.aws.logs, groups.unencrypted ?? []);
  await createGroups(h.aws.logs, groups.encrypted ?? [], { kmsKeyId: keyArn });
  await h.em.resetRequestCounts();
  return keyArn;
}

const count = async (operation: string) => (await h.em.requestCounts())[operation] ?? 0;

describe('remediation against the emulator', () => {
  it('runs the exported handler with the configuration read at cold start', async () => {
    const keyArn = await setUp(
      { unencrypted: ['/aws/lambda/orders'] },
      { alias: 'alias/logs-kms-remediator' },
    );

    const report = asReport(await h.coldStartHandler({}, lambdaContext()));

    expect(report.totals).toMatchObject({ scanned: 1, remediated: 1 });
    expect((await readGroupKeys(h.aws.logs)).get('/aws/lambda/orders')).toBe(keyArn);
    expect(await receiveReports(h.aws.sqs, topic.queueUrl)).toHaveLength(1);
  });

  it('resolves an alias to the key ARN and associates the ARN', async () => {
    const keyArn = await setUp({ unencrypted: ['/aws/rds/db/general'] }, { alias: 'alias/logs-at-rest' });

    const report = await invoke({ KMS_KEY_ID: 'alias/logs-at-rest' });

    expect(report.key).toMatchObject({ requested: 'alias/logs-at-rest', arn: keyArn, usable: true });
    expect((await readGroupKeys(h.aws.logs)).get('/aws/rds/db/general')).toBe(keyArn);
  });

  it('pages through 230 groups and encrypts every one', async () => {
    const names = Array.from({ length: 230 }, (_, i) => `/app/service-${String(i).padStart(3, '0')}`);
    const keyArn = await setUp({ unencrypted: names.slice(0, 200), encrypted: names.slice(200) });

    const report = await invoke({ KMS_KEY_ID: keyArn });

    expect(report.totals).toMatchObject({ scanned: 230, alreadyEncrypted: 30, remediated: 200, failed: 0 });
    expect(await count('logs.DescribeLogGroups')).toBe(5);
    expect(await count('logs.AssociateKmsKey')).toBe(200);
    const keys = await readGroupKeys(h.aws.logs);
    expect([...keys.values()].every((k) => k === keyArn)).toBe(true);
  });

  it('changes nothing in a dry run, and says what would happen', async () => {
    const keyArn = await setUp({ unencrypted: ['/a', '/b'], encrypted: ['/c'] });

    const report = await invoke({ KMS_KEY_ID: keyArn }, { dryRun: true });

    expect(report.dryRun).toBe(true);
    expect(report.totals).toMatchObject({ wouldRemediate: 2, remediated: 0, alreadyEncrypted: 1 });
    expect(await count('logs.AssociateKmsKey')).toBe(0);
    expect(await count('logs.DisassociateKmsKey')).toBe(0);
    const keys = await readGroupKeys(h.aws.logs);
    expect([keys.get('/a'), keys.get('/b')]).toEqual([undefined, undefined]);
  });

  it.each<[string, KeyOptions, string]>([
    ['disabled', { state: 'Disabled' }, 'KEY_NOT_ENABLED'],
    ['pending deletion', { state: 'PendingDeletion' }, 'KEY_NOT_ENABLED'],
    ['asymmetric', { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', rotation: false }, 'KEY_NOT_SYMMETRIC'],
    ['without the logs principal in its policy', { policy: keyPolicy(null) }, 'KEY_POLICY_DENIES_LOGS'],
  ])('makes no association when the key is %s', async (_label, keyOptions, code) => {
    const keyArn = await setUp({ unencrypted: ['/a', '/b'] }, keyOptions);

    const report = await invoke({ KMS_KEY_ID: keyArn });

    expect(report.key.usable).toBe(false);
    expect(report.key.problems.map((p) => p.code)).toContain(code);
    expect(report.totals).toMatchObject({ skipped: 2, remediated: 0 });
    expect(report.groups.every((g) => g.outcome === 'skipped' && g.reason === 'key-unusable')).toBe(true);
    expect(await count('logs.AssociateKmsKey')).toBe(0);
    if (code === 'KEY_POLICY_DENIES_LOGS') {
      expect(report.key.policyFix?.Principal).toEqual({ Service: 'logs.us-east-1.amazonaws.com' });
    }
  });

  it('refuses a key in another region', async () => {
    const otherRegion = seedClients(h.em.endpoint, 'eu-west-1');
    const keyArn = await createKey(otherRegion.kms, { policy: keyPolicy('*', 'eu-west-1') });
    await setUp({ unencrypted: ['/a'] });

    const report = await invoke({ KMS_KEY_ID: keyArn });

    expect(report.key.problems.map((p) => p.code)).toContain('KEY_OTHER_REGION');
    expect(await count('logs.AssociateKmsKey')).toBe(0);
  });

  it('encrypts only the groups a scoped key policy allows, and skips the rest with a reason', async () => {
    const keyArn = await setUp(
      { unencrypted: ['/aws/rds/instance/db/general', '/aws/rds/instance/db/error', '/aws/lambda/fn'] },
      { policy: keyPolicy('/aws/rds/*') },
    );

    const report = await invoke({ KMS_KEY_ID: keyArn });

    const keys = await readGroupKeys(h.aws.logs);
    expect(keys.get('/aws/rds/instance/db/general')).toBe(keyArn);
    expect(keys.get('/aws/rds/instance/db/error')).toBe(keyArn);
    expect(keys.get('/aws/lambda/fn')).toBeUndefined();
    expect(report.groups.find((g) => g.logGroupName === '/aws/lambda/fn')).toMatchObject({
      outcome: 'skipped',
      reason: 'key-policy-scope',
    });
    expect(await count('logs.AssociateKmsKey')).toBe(2);
  });

  it('skips a DELIVERY-class group', async () => {
    const keyArn = await setUp({ unencrypted: ['/std'] });
    await createGroups(h.aws.logs, ['/aws/vendedlogs/delivery'], { logGroupClass: 'DELIVERY' });

    const report = await invoke({ KMS_KEY_ID: keyArn });

    expect(report.groups.find((g) => g.logGroupName === '/aws/vendedlogs/delivery')).toMatchObject({
      outcome: 'skipped',
      reason: 'delivery-class',
    });
    expect(await count('logs.AssociateKmsKey')).toBe(1);
  });

  it('honours include and exclude patterns and the exclude tag, reading tags only for candidates', async () => {
    const keyArn = await setUp({
      unencrypted: ['/aws/rds/a', '/aws/rds/test/b', '/aws/lambda/c'],
    });
    await createGroups(h.aws.logs, ['/aws/rds/tagged'], { tags: { 'encryption-exempt': 'true' } });
    await h.em.resetRequestCounts();

    const report = await invoke({
      KMS_KEY_ID: keyArn,
      INCLUDE_PATTERNS: '/aws/rds/*',
      EXCLUDE_PATTERNS: '/aws/rds/test/*',
      EXCLUDE_TAG: 'encryption-exempt=true',
    });

    const outcomes = Object.fromEntries(
      report.groups.map((g) => [g.logGroupName, 'reason' in g ? g.reason : g.outcome]),
    );
    expect(outcomes).toEqual({
      '/aws/rds/a': 'remediated',
      '/aws/rds/test/b': 'exclude-patterns',
      '/aws/lambda/c': 'include-patterns',
      '/aws/rds/tagged': 'exclude-tag',
    });
    expect(await count('logs.ListTagsForResource')).toBe(2);
    expect((await readGroupKeys(h.aws.logs)).get('/aws/rds/tagged')).toBeUndefined();
  });

  it('stops at maxRemediations', async () => {
    const keyArn = await setUp({ unencrypted: ['/a', '/b', '/c', '/d'] });

    const report = await invoke({ KMS_KEY_ID: keyArn }, { maxRemediations: 3 });

    expect(report.totals).toMatchObject({ remediated: 3, notReached: 1 });
    expect(await count('logs.AssociateKmsKey')).toBe(3);
  });

  it('limits the scan to a name prefix', async () => {
    const keyArn = await setUp({ unencrypted: ['/aws/rds/a', '/aws/lambda/b'] });

    const report = await invoke({ KMS_KEY_ID: keyArn }, { logGroupNamePrefix: '/aws/rds/' });

    expect(report.totals).toMatchObject({ scanned: 1, remediated: 1 });
    expect((await readGroupKeys(h.aws.logs)).get('/aws/lambda/b')).toBeUndefined();
  });

  it('delivers the report to a subscribed queue with subject, attributes and JSON body', async () => {
    const keyArn = await setUp({ unencrypted: ['/a'], encrypted: ['/b'] });

    const returned = await invoke({ KMS_KEY_ID: keyArn }, { dryRun: true });
    const [received, ...more] = await receiveReports(h.aws.sqs, topic.queueUrl);

    expect(more).toHaveLength(0);
    expect(received?.subject).toBe(`[DRY RUN] Log encryption ${ACCOUNT} ${REGION}: 1 would remediate`);
    expect(received?.attributes).toEqual({
      status: 'findings',
      dryRun: 'true',
      account: ACCOUNT,
      region: REGION,
    });
    expect(received?.report).toEqual(returned);
    expect(received?.report).toMatchObject({ schemaVersion: 2, account: ACCOUNT, region: REGION });

    // The message as sent carries the text rendering for people beside the JSON for machines.
    const [sent] = await h.em.publishedMessages();
    expect(sent?.MessageStructure).toBe('json');
    const renderings = JSON.parse(sent?.Message ?? '{}') as Record<string, string>;
    expect(Object.keys(renderings).sort()).toEqual(['default', 'email', 'http', 'https', 'lambda', 'sqs']);
    expect(renderings.email).toBe(renderings.default);
    expect(renderings.default).toContain('[DRY RUN: nothing was changed]');
    expect(renderings.default).toContain('Would remediate (1 listed):\n  - /a');
    expect(renderings.default).toMatch(/Scanned 2 log groups: 1 already encrypted/);
    expect(JSON.parse(renderings.lambda ?? '')).toEqual(returned);
  });

  it('publishes nothing for a compliant account when REPORT_WHEN is findings', async () => {
    const keyArn = await setUp({ encrypted: ['/a'] });

    await invoke({ KMS_KEY_ID: keyArn, REPORT_WHEN: 'findings' });

    expect(await count('sns.Publish')).toBe(0);
    expect(await receiveReports(h.aws.sqs, topic.queueUrl)).toHaveLength(0);
  });

  it.each([
    [{ dryrun: true }, 'dryrun'],
    [{ dryRun: 'yes' }, 'dryRun'],
    [{ maxRemediations: 0 }, 'maxRemediations'],
  ])('rejects the event %j before any AWS call', async (event, field) => {
    const keyArn = await setUp({ unencrypted: ['/a'] });

    const failure = await invoke({ KMS_KEY_ID: keyArn }, event).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(EventError);
    expect(failure).toMatchObject({ field });
    expect(await h.em.requestCounts()).toEqual({});
  });

  it('rejects a bad setting by name, before any AWS call', async () => {
    expect(() =>
      h.buildHandler({ AWS_REGION: REGION, REPORT_TOPIC_ARN: topic.topicArn, KMS_KEY_ID: 'my-key' }, silent),
    ).toThrow(ConfigError);
    expect(() =>
      h.buildHandler({ AWS_REGION: REGION, REPORT_TOPIC_ARN: topic.topicArn, KMS_KEY_ID: 'my-key' }, silent),
    ).toThrow(/KMS_KEY_ID="my-key"/);
    expect(await h.em.requestCounts()).toEqual({});
  });
});
