/**
 * Security Hub findings over the wire: the remediator publishes its findings to FindingsTopic,
 * the messages the emulator recorded are handed to the findings function as Lambda delivers SNS
 * records, and Security Hub is read back with GetFindings. The emulator's Security Hub is written
 * from the API reference (test/emulator/moto_server.py, section 4b): it refuses findings that are
 * not valid ASFF, keeps Workflow on re-import and resets RESOLVED to NEW on reopening, so these
 * tests judge the findings the product builds, not the product's idea of Security Hub.
 */
import { PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import {
  type AwsSecurityFinding,
  DisableSecurityHubCommand,
  EnableSecurityHubCommand,
  paginateGetFindings,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import type { Report } from '../../lib/core/types';
import type { HandledMessage } from '../../lib/run/import-findings';
import type { PublishedMessage } from '../emulator/emulator';
import { ACCOUNT, createGroups, createKey, createReportTopic, keyPolicy, REGION } from '../support/aws-seed';
import { asReport, silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { lambdaContext } from '../support/lambda-context';

const h = useEmulator();
const GENERATOR_ID = 'logs-kms-remediator/log-group-encryption';
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const groupArn = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
const FINDINGS_MAX_ATTEMPTS = 3;

const PLAIN = ['/app/plain-a', '/app/plain-b'];
const ON_DISABLED = '/app/on-disabled';
const ON_PENDING = '/app/on-pending';
const ON_OTHER = '/app/on-other';
const UNVERIFIED = '/app/unverified';
const COMPLIANT = '/app/ok';
const EXCLUDED = '/excluded/legacy';
const STILL_OPEN = [ON_DISABLED, ON_PENDING, ON_OTHER, UNVERIFIED];

interface Account {
  target: string;
  reportTopicArn: string;
  findingsTopicArn: string;
}

let hub: SecurityHubClient;

beforeAll(() => {
  hub = new SecurityHubClient({
    endpoint: h.em.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
});

beforeEach(async () => {
  await h.em.reset();
  await h.em.clearFaults();
  await h.em.resetRequestCounts();
  await hub.send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
});

const denyDescribe = JSON.stringify({
  ...JSON.parse(keyPolicy()),
  Statement: [
    ...JSON.parse(keyPolicy()).Statement,
    { Sid: 'NoDescribe', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:DescribeKey', Resource: '*' },
  ],
});

/** One group in each state a finding is made for, one compliant group, and the two topics. */
async function setUp(): Promise<Account> {
  const target = await createKey(h.aws.kms);
  const keys = {
    [ON_DISABLED]: await createKey(h.aws.kms, { state: 'Disabled' }),
    [ON_PENDING]: await createKey(h.aws.kms, { state: 'PendingDeletion' }),
    [ON_OTHER]: await createKey(h.aws.kms),
    [UNVERIFIED]: await createKey(h.aws.kms),
    [COMPLIANT]: target,
  };
  for (const [name, kmsKeyId] of Object.entries(keys)) await createGroups(h.aws.logs, [name], { kmsKeyId });
  await h.aws.kms.send(
    new PutKeyPolicyCommand({ KeyId: keys[UNVERIFIED], PolicyName: 'default', Policy: denyDescribe }),
  );
  await createGroups(h.aws.logs, [...PLAIN, EXCLUDED]);
  const report = await createReportTopic(h.aws);
  const findings = await h.aws.sns.send(new CreateTopicCommand({ Name: 'logs-kms-remediator-findings' }));
  return { target, reportTopicArn: report.topicArn, findingsTopicArn: findings.TopicArn as string };
}

/** A remediator run; returns its report and the messages it published (the counters are reset). */
async function remediate(account: Account, dryRun: boolean, env: Record<string, string> = {}) {
  const handler = h.buildHandler(
    {
      ...TEST_ENV,
      KMS_KEY_ID: account.target,
      REPORT_TOPIC_ARN: account.reportTopicArn,
      SECURITY_HUB: 'on',
      FINDINGS_TOPIC_ARN: account.findingsTopicArn,
      OTHER_KEYS: 'report',
      EXCLUDE_PATTERNS: '/excluded/*',
      ...env,
    },
    silentLogger(),
  );
  await h.em.resetRequestCounts();
  const report: Report = asReport(await handler({ dryRun }, lambdaContext()));
  const published = await h.em.publishedMessages();
  await h.em.resetRequestCounts();
  return {
    report,
    findingsMessages: published.filter((m) => m.TopicArn === account.findingsTopicArn),
    reportMessages: published.filter((m) => m.TopicArn === account.reportTopicArn),
  };
}

/** A findings function, as a warm container: one per test, so it remembers the runs it saw. */
async function findingsFunction(account: Account) {
  const { buildFindingsHandler } = await import('../../handlers/import-findings');
  const handler = buildFindingsHandler(
    {
      AWS_REGION: REGION,
      REPORT_TOPIC_ARN: account.reportTopicArn,
      MAX_ATTEMPTS: String(FINDINGS_MAX_ATTEMPTS),
      IMPORT_FINDINGS_TPS: '0',
    },
    silentLogger(),
  );
  let delivered = 0;
  /** Each message in its own invocation, as SNS delivers one record per Lambda event. */
  return async (messages: readonly PublishedMessage[]): Promise<HandledMessage[]> => {
    const handled: HandledMessage[] = [];
    for (const message of messages) {
      const answer = await handler(snsEvent(message, ++delivered), lambdaContext());
      handled.push(...answer);
    }
    return handled;
  };
}

function snsEvent(message: PublishedMessage, n: number): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${message.TopicArn}:0b9e4a1c-1111-4222-8333-00000000000${n % 10}`,
        Sns: {
          Type: 'Notification',
          MessageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
          TopicArn: message.TopicArn,
          Subject: message.Subject ?? '',
          Message: message.Message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** Every finding of the product in Security Hub, any record state, by group name. */
async function readFindings(): Promise<Map<string, AwsSecurityFinding>> {
  const found = new Map<string, AwsSecurityFinding>();
  const filters = { GeneratorId: [{ Value: GENERATOR_ID, Comparison: 'EQUALS' as const }] };
  for await (const page of paginateGetFindings({ client: hub }, { Filters: filters, MaxResults: 100 })) {
    for (const f of page.Findings ?? []) {
      const name = f.ProductFields?.['logs-kms-remediator/logGroupName'] as string;
      expect(found.has(name)).toBe(false);
      found.set(name, f);
    }
  }
  return found;
}

const stateOf = (f: AwsSecurityFinding | undefined) => [
  f?.RecordState,
  f?.Compliance?.Status,
  f?.Workflow?.Status,
];

async function hubCalls(): Promise<Record<string, number>> {
  const requests = (await h.em.stats()).requests;
  return Object.fromEntries(Object.entries(requests).filter(([k]) => k.startsWith('securityhub.')));
}

describe('Security Hub findings against the emulator', () => {
  it('a dry run opens one finding per non-compliant group, with the required ASFF fields', async () => {
    const account = await setUp();
    const deliver = await findingsFunction(account);
    const dry = await remediate(account, true);
    expect(dry.report.findings).toEqual({ published: 7 });

    const handled = await deliver(dry.findingsMessages);
    const calls = await hubCalls(); // before reading back, which calls GetFindings too

    expect(handled.map((m) => m.error)).toEqual([undefined, undefined]);
    const found = await readFindings();
    expect([...found.keys()].sort()).toEqual([...PLAIN, ...STILL_OPEN, EXCLUDED].sort());
    for (const [name, f] of found) {
      expect(f).toMatchObject({
        SchemaVersion: '2018-10-08',
        Id: expect.stringContaining(name),
        ProductArn: PRODUCT_ARN,
        GeneratorId: GENERATOR_ID,
        AwsAccountId: ACCOUNT,
        Types: [expect.stringMatching(/^Software and Configuration Checks\/[^/]+\/[^/]+$/)],
        CreatedAt: dry.report.startedAt,
        UpdatedAt: dry.report.startedAt,
        Title: expect.stringContaining(name),
        Description: expect.stringContaining(name),
        Resources: [expect.objectContaining({ Type: 'Other', Id: groupArn(name) })],
        Compliance: { Status: name === UNVERIFIED ? 'WARNING' : 'FAILED' },
        Remediation: { Recommendation: { Text: expect.any(String) } },
        RecordState: 'ACTIVE',
      });
    }
    expect(Object.fromEntries([...found].map(([n, f]) => [n, f.Severity?.Label]))).toEqual({
      [PLAIN[0] as string]: 'MEDIUM',
      [PLAIN[1] as string]: 'MEDIUM',
      [ON_DISABLED]: 'HIGH',
      [ON_PENDING]: 'CRITICAL',
      [ON_OTHER]: 'LOW',
      [UNVERIFIED]: 'INFORMATIONAL',
      [EXCLUDED]: 'MEDIUM',
    });
    // The pending deletion's date is in the finding; the fix names the KMS command.
    expect(found.get(ON_PENDING)?.Resources?.[0]?.Details?.Other?.deletionDate).toMatch(/^\d{4}-/);
    expect(found.get(ON_PENDING)?.Remediation?.Recommendation?.Text).toContain('cancel-key-deletion');
    expect(found.get(ON_DISABLED)?.Resources?.[0]?.Details?.Other?.keyState).toBe('Disabled');
    // Excluded: suppressed, with the rule that excludes it.
    const excluded = found.get(EXCLUDED);
    expect(excluded?.Workflow?.Status).toBe('SUPPRESSED');
    expect(excluded?.Description).toContain('EXCLUDE_PATTERNS (/excluded/*)');
    expect(excluded?.Resources?.[0]?.Details?.Other?.reason).toBe('exclude-patterns');
    for (const name of [...PLAIN, ...STILL_OPEN]) expect(found.get(name)?.Workflow?.Status).toBe('NEW');
    // One import (7 findings), one suppression, one look for stale findings: none yet.
    expect(calls).toEqual({
      'securityhub.BatchImportFindings': 1,
      'securityhub.BatchUpdateFindings': 1,
      'securityhub.GetFindings': 1,
    });
  });

  it('the live run that follows resolves what it fixed, and a second run adds no duplicate', async () => {
    const account = await setUp();
    const deliver = await findingsFunction(account);
    await deliver((await remediate(account, true)).findingsMessages);
    const before = await readFindings();

    const live = await remediate(account, false);
    expect(
      live.report.groups
        .filter((g) => g.outcome === 'remediated')
        .map((g) => g.logGroupName)
        .sort(),
    ).toEqual(PLAIN);
    expect((await deliver(live.findingsMessages)).map((m) => m.error)).toEqual([undefined, undefined]);
    const liveCalls = await hubCalls();

    const after = await readFindings();
    for (const name of PLAIN) {
      expect(stateOf(after.get(name))).toEqual(['ARCHIVED', 'PASSED', 'RESOLVED']);
      expect(after.get(name)?.UpdatedAt).toBe(live.report.finishedAt);
    }
    for (const name of STILL_OPEN) {
      expect(stateOf(after.get(name))[0]).toBe('ACTIVE');
      expect(after.get(name)?.Workflow?.Status).toBe('NEW');
      expect(after.get(name)?.UpdatedAt).toBe(live.report.startedAt);
      // Security Hub keeps the first import's CreatedAt.
      expect(after.get(name)?.CreatedAt).toBe(before.get(name)?.CreatedAt);
    }
    expect(stateOf(after.get(EXCLUDED))).toEqual(['ACTIVE', 'FAILED', 'SUPPRESSED']);
    // Import of the 5 still open + the excluded one, then of the 2 resolved; suppress, then resolve.
    expect(liveCalls).toEqual({
      'securityhub.BatchImportFindings': 2,
      'securityhub.BatchUpdateFindings': 2,
      'securityhub.GetFindings': 1,
    });

    const again = await remediate(account, false);
    await deliver(again.findingsMessages);
    const againCalls = await hubCalls();
    const third = await readFindings();
    expect([...third.keys()].sort()).toEqual([...after.keys()].sort());
    expect([...third.values()].map((f) => f.Id).sort()).toEqual([...before.values()].map((f) => f.Id).sort());
    for (const name of PLAIN) expect(stateOf(third.get(name))).toEqual(['ARCHIVED', 'PASSED', 'RESOLVED']);
    expect(againCalls).toEqual({
      'securityhub.BatchImportFindings': 1,
      'securityhub.BatchUpdateFindings': 1,
      'securityhub.GetFindings': 1,
    });
  });

  it('ends in the same state when the resolve arrives before the last import', async () => {
    const endState = async (resolveFirst: boolean) => {
      await h.em.reset();
      await hub.send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
      const account = await setUp();
      const deliver = await findingsFunction(account);
      await deliver((await remediate(account, true)).findingsMessages);
      const live = (await remediate(account, false)).findingsMessages;
      const kinds = live.map((m) => JSON.parse(m.Message).kind);
      expect(kinds).toEqual(['import', 'resolve']);
      await deliver(resolveFirst ? [...live].reverse() : live);
      return Object.fromEntries([...(await readFindings())].map(([n, f]) => [n, stateOf(f)]));
    };
    const inOrder = await endState(false);
    const outOfOrder = await endState(true);

    expect(outOfOrder).toEqual(inOrder);
    expect(inOrder).toEqual({
      [PLAIN[0] as string]: ['ARCHIVED', 'PASSED', 'RESOLVED'],
      [PLAIN[1] as string]: ['ARCHIVED', 'PASSED', 'RESOLVED'],
      [ON_DISABLED]: ['ACTIVE', 'FAILED', 'NEW'],
      [ON_PENDING]: ['ACTIVE', 'FAILED', 'NEW'],
      [ON_OTHER]: ['ACTIVE', 'FAILED', 'NEW'],
      [UNVERIFIED]: ['ACTIVE', 'WARNING', 'NEW'],
      [EXCLUDED]: ['ACTIVE', 'FAILED', 'SUPPRESSED'],
    });
  });

  it.each([
    [
      'not enabled',
      () => hub.send(new DisableSecurityHubCommand({})),
      'InvalidAccessException',
      { 'securityhub.BatchImportFindings': 1, 'securityhub.GetFindings': 1 },
    ],
    [
      'throttled beyond retries',
      () => h.em.setFaults({ errorRates: { 'securityhub.*': { LimitExceededException: 1 } } }),
      'LimitExceededException',
      {
        'securityhub.BatchImportFindings': FINDINGS_MAX_ATTEMPTS,
        'securityhub.GetFindings': FINDINGS_MAX_ATTEMPTS,
      },
    ],
  ])(
    'with Security Hub %s, the run still reports, and one notice names the error',
    async (_l, fail, code, calls) => {
      const account = await setUp();
      await fail();
      const deliver = await findingsFunction(account);
      const dry = await remediate(account, true);

      const handled = await deliver(dry.findingsMessages);

      // The run's report went out, and counted the findings it handed on.
      expect(dry.reportMessages.length).toBe(1);
      expect(JSON.parse(JSON.parse(dry.reportMessages[0]?.Message ?? '{}').sqs)).toMatchObject({
        runId: dry.report.runId,
        findings: { published: 7 },
      });
      expect(handled.map((m) => m.error?.split(':')[0])).toEqual([code, code]);
      const notices = (await h.em.publishedMessages()).filter((m) => m.TopicArn === account.reportTopicArn);
      expect(notices.length).toBe(1);
      expect(notices[0]?.MessageAttributes).toEqual({ status: 'findings-not-imported' });
      expect(JSON.parse(notices[0]?.Message ?? '{}').default).toMatch(
        new RegExp(`^Security Hub findings for run ${dry.report.runId} could not be imported: ${code}: `),
      );
      const made = await hubCalls();
      expect({
        'securityhub.BatchImportFindings': made['securityhub.BatchImportFindings'],
        'securityhub.GetFindings': made['securityhub.GetFindings'],
      }).toEqual(calls);
      expect(made['securityhub.BatchUpdateFindings']).toBeUndefined();
    },
  );

  it('imports 250 findings in ceil(250 / 100) = 3 calls, and compliant groups cost none', async () => {
    const target = await createKey(h.aws.kms);
    await h.em.seedLogGroups({ generate: { prefix: '/bulk/plain-', count: 250 } });
    await h.em.seedLogGroups({ generate: { prefix: '/bulk/ok-', count: 300, kmsKeyId: target } });
    const report = await createReportTopic(h.aws);
    const topic = await h.aws.sns.send(new CreateTopicCommand({ Name: 'logs-kms-remediator-findings' }));
    const account = { target, reportTopicArn: report.topicArn, findingsTopicArn: topic.TopicArn as string };
    const deliver = await findingsFunction(account);

    const dry = await remediate(account, true, { DESCRIBE_LOG_GROUPS_TPS: '0' });
    const handled = await deliver(dry.findingsMessages);
    const calls = await hubCalls();

    expect(handled.map((m) => [m.imported, m.error])).toEqual([
      [100, undefined],
      [100, undefined],
      [50, undefined],
      [0, undefined],
    ]);
    const found = await readFindings();
    expect(found.size).toBe(250);
    expect([...found.keys()].every((name) => name.startsWith('/bulk/plain-'))).toBe(true);
    expect(calls).toEqual({
      'securityhub.BatchImportFindings': Math.ceil(250 / 100),
      // The look for stale findings: 250 of them are ACTIVE, but none older than the run.
      'securityhub.GetFindings': 1,
    });
  });
});
