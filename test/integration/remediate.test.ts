/**
 * The real handler, its real SDK clients and the wire protocol, against the emulator.
 * Each test seeds a fresh account; the emulator's own state and request counts are the
 * evidence, not the handler's word.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigError, EventError } from '../../lib/errors';
import type { Report } from '../../lib/types';
import { type Emulator, emulatorEnv, startEmulator } from '../emulator/emulator';
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
  type SeedClients,
  seedClients,
} from '../support/aws-seed';
import { lambdaContext } from '../support/lambda-context';

type HandlerModule = typeof import('../../handlers/remediate');
let buildHandler: HandlerModule['buildHandler'];
let coldStartHandler: HandlerModule['handler'];
let em: Emulator;
let aws: SeedClients;
let topic: ReportTopic;
const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

beforeAll(async () => {
  em = await startEmulator();
  // The handler's clients find the emulator the way users point them anywhere: AWS_ENDPOINT_URL.
  Object.assign(process.env, emulatorEnv(em), {
    KMS_KEY_ID: 'alias/logs-kms-remediator',
    REPORT_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:logs-kms-remediator-reports`,
    REPORT_WHEN: 'always',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  // Imported only now: the module reads its configuration at load time, as Lambda's cold start does.
  ({ buildHandler, handler: coldStartHandler } = await import('../../handlers/remediate'));
  aws = seedClients(em.endpoint);
});

afterAll(async () => {
  await em?.stop();
});

beforeEach(async () => {
  await em.reset();
  topic = await createReportTopic(aws);
  await em.resetRequestCounts();
});

async function invoke(env: Record<string, string>, event: unknown = {}): Promise<Report> {
  const handler = buildHandler(
    { AWS_REGION: REGION, REPORT_TOPIC_ARN: topic.topicArn, REPORT_WHEN: 'always', ...env },
    silent,
  );
  return handler(event, lambdaContext());
}

async function setUp(groups: { unencrypted?: string[]; encrypted?: string[] }, key: KeyOptions = {}) {
  const keyArn = await createKey(aws.kms, key);
  await createGroups(aws.logs, groups.unencrypted ?? []);
  await createGroups(aws.logs, groups.encrypted ?? [], { kmsKeyId: keyArn });
  await em.resetRequestCounts();
  return keyArn;
}

const count = async (operation: string) => (await em.requestCounts())[operation] ?? 0;

describe('remediation against the emulator', () => {
  it('runs the exported handler with the configuration read at cold start', async () => {
    const keyArn = await setUp(
      { unencrypted: ['/aws/lambda/orders'] },
      { alias: 'alias/logs-kms-remediator' },
    );

    const report = await coldStartHandler({}, lambdaContext());

    expect(report.totals).toMatchObject({ scanned: 1, remediated: 1 });
    expect((await readGroupKeys(aws.logs)).get('/aws/lambda/orders')).toBe(keyArn);
    expect(await receiveReports(aws.sqs, topic.queueUrl)).toHaveLength(1);
  });

  it('resolves an alias to the key ARN and associates the ARN', async () => {
    const keyArn = await setUp({ unencrypted: ['/aws/rds/db/general'] }, { alias: 'alias/logs-at-rest' });

    const report = await invoke({ KMS_KEY_ID: 'alias/logs-at-rest' });

    expect(report.key).toMatchObject({ requested: 'alias/logs-at-rest', arn: keyArn, usable: true });
    expect((await readGroupKeys(aws.logs)).get('/aws/rds/db/general')).toBe(keyArn);
  });

  it('pages through 230 groups and encrypts every one', async () => {
    const names = Array.from({ length: 230 }, (_, i) => `/app/service-${String(i).padStart(3, '0')}`);
    const keyArn = await setUp({ unencrypted: names.slice(0, 200), encrypted: names.slice(200) });

    const report = await invoke({ KMS_KEY_ID: keyArn });

    expect(report.totals).toMatchObject({ scanned: 230, alreadyEncrypted: 30, remediated: 200, failed: 0 });
    expect(await count('logs.DescribeLogGroups')).toBe(5);
    expect(await count('logs.AssociateKmsKey')).toBe(200);
    const keys = await readGroupKeys(aws.logs);
    expect([...keys.values()].every((k) => k === keyArn)).toBe(true);
  });

  it('changes nothing in a dry run, and says what would happen', async () => {
    const keyArn = await setUp({ unencrypted: ['/a', '/b'], encrypted: ['/c'] });

    const report = await invoke({ KMS_KEY_ID: keyArn }, { dryRun: true });

    expect(report.dryRun).toBe(true);
    expect(report.totals).toMatchObject({ wouldRemediate: 2, remediated: 0, alreadyEncrypted: 1 });
    expect(await count('logs.AssociateKmsKey')).toBe(0);
    expect(await count('logs.DisassociateKmsKey')).toBe(0);
    const keys = await readGroupKeys(aws.logs);
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
    const otherRegion = seedClients(em.endpoint, 'eu-west-1');
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

    const keys = await readGroupKeys(aws.logs);
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
    await createGroups(aws.logs, ['/aws/vendedlogs/delivery'], { logGroupClass: 'DELIVERY' });

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
    await createGroups(aws.logs, ['/aws/rds/tagged'], { tags: { 'encryption-exempt': 'true' } });
    await em.resetRequestCounts();

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
    expect((await readGroupKeys(aws.logs)).get('/aws/rds/tagged')).toBeUndefined();
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
    expect((await readGroupKeys(aws.logs)).get('/aws/lambda/b')).toBeUndefined();
  });

  it('delivers the report to a subscribed queue with subject, attributes and JSON body', async () => {
    const keyArn = await setUp({ unencrypted: ['/a'], encrypted: ['/b'] });

    const returned = await invoke({ KMS_KEY_ID: keyArn }, { dryRun: true });
    const [received, ...more] = await receiveReports(aws.sqs, topic.queueUrl);

    expect(more).toHaveLength(0);
    expect(received?.subject).toBe(`[DRY RUN] Log encryption ${ACCOUNT} ${REGION}: 1 would remediate`);
    expect(received?.attributes).toEqual({
      status: 'findings',
      dryRun: 'true',
      account: ACCOUNT,
      region: REGION,
    });
    expect(received?.report).toEqual(returned);
    expect(received?.report).toMatchObject({ schemaVersion: 1, account: ACCOUNT, region: REGION });

    // The message as sent carries the text rendering for people beside the JSON for machines.
    const [sent] = await em.publishedMessages();
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
    expect(await receiveReports(aws.sqs, topic.queueUrl)).toHaveLength(0);
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
    expect(await em.requestCounts()).toEqual({});
  });

  it('rejects a bad setting by name, before any AWS call', async () => {
    expect(() =>
      buildHandler({ AWS_REGION: REGION, REPORT_TOPIC_ARN: topic.topicArn, KMS_KEY_ID: 'my-key' }, silent),
    ).toThrow(ConfigError);
    expect(() =>
      buildHandler({ AWS_REGION: REGION, REPORT_TOPIC_ARN: topic.topicArn, KMS_KEY_ID: 'my-key' }, silent),
    ).toThrow(/KMS_KEY_ID="my-key"/);
    expect(await em.requestCounts()).toEqual({});
  });
});
