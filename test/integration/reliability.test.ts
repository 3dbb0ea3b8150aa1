/**
 * Reliability against the emulator with faults injected: throttling, transient errors, the
 * DescribeLogGroups quota, groups deleted mid-run, a key disabled mid-run, a Lambda deadline,
 * an SNS outage and malformed events. The emulator's state is the evidence.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { EventError, ReportPublishError } from '../../lib/core/errors';
import { parseEvent } from '../../lib/core/event';
import type { Report } from '../../lib/core/types';
import {
  createGroups,
  createKey,
  createReportTopic,
  type ReportTopic,
  readGroupKeys,
} from '../support/aws-seed';
import { asReport, silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { lambdaContext } from '../support/lambda-context';

const h = useEmulator();
const silent = silentLogger();
let topic: ReportTopic;

/** Retryable error codes: none of these may end as a group's final outcome. */
const RETRYABLE = ['ThrottlingException', 'ServiceUnavailableException', 'OperationAbortedException'];

beforeEach(async () => {
  await h.em.clearFaults();
  await h.em.reset();
  topic = await createReportTopic(h.aws);
});

const names = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

async function seed(unencrypted: string[], encrypted: string[] = []): Promise<string> {
  const keyArn = await createKey(h.aws.kms);
  await createGroups(h.aws.logs, unencrypted);
  await createGroups(h.aws.logs, encrypted, { kmsKeyId: keyArn });
  await h.em.resetRequestCounts();
  return keyArn;
}

function handlerFor(keyArn: string, env: Record<string, string> = {}, logger: Logger = silent) {
  const handler = h.buildHandler(
    { ...TEST_ENV, KMS_KEY_ID: keyArn, REPORT_TOPIC_ARN: topic.topicArn, ...env },
    logger,
  );
  return async (event: unknown, context: Context) => asReport(await handler(event, context));
}

/** Every group in the report agrees with the emulator: remediated ones are encrypted, the others not. */
function expectStateMatches(report: Report, keys: Map<string, string | undefined>, keyArn: string) {
  for (const g of report.groups) {
    if (g.outcome === 'remediated')
      expect([g.logGroupName, keys.get(g.logGroupName)]).toEqual([g.logGroupName, keyArn]);
    else if (keys.has(g.logGroupName))
      expect([g.logGroupName, keys.get(g.logGroupName)]).toEqual([g.logGroupName, undefined]);
  }
}

function expectEachGroupOnce(report: Report) {
  const { scanned, ...rest } = report.totals;
  expect(Object.values(rest).reduce((a, b) => a + b, 0)).toBe(scanned);
  const listed = report.groups.map((g) => g.logGroupName);
  expect(new Set(listed).size).toBe(listed.length);
  expect(listed.length + report.totals.alreadyEncrypted).toBe(scanned);
}

describe('reliability against the emulator', () => {
  it('completes 1,000 groups under 30% injected faults and the 5 TPS DescribeLogGroups quota', async () => {
    // Prepare: 1,000 groups, 300 unencrypted.
    const keyArn = await seed(names('/app/u', 300), names('/app/e', 700));
    await h.em.setFaults({
      seed: 7,
      errorRates: {
        '*': { ThrottlingException: 0.2, ServiceUnavailableException: 0.05, OperationAbortedException: 0.05 },
      },
      tpsLimits: { 'logs.DescribeLogGroups': 5 },
    });

    // Act: 12 attempts, since at a 30% fault rate 8 would leave a ~2% chance that some call among
    // ~330 fails every attempt; the adaptive limiter slows to ~2.5 requests/s under this throttling.
    const started = Date.now();
    const report = await handlerFor(keyArn, { MAX_ATTEMPTS: '12' })({}, lambdaContext());
    const seconds = (Date.now() - started) / 1000;

    // Assess
    const stats = await h.em.stats();
    await h.em.clearFaults();
    const keys = await readGroupKeys(h.aws.logs);
    expect(report.complete).toBe(true);
    expect(report.totals).toMatchObject({ scanned: 1000, alreadyEncrypted: 700, remediated: 300, failed: 0 });
    expectEachGroupOnce(report);
    expect(report.groups.filter((g) => g.outcome === 'failed' && RETRYABLE.includes(g.errorCode))).toEqual(
      [],
    );
    expectStateMatches(report, keys, keyArn);
    expect([...keys.values()].every((k) => k === keyArn)).toBe(true);
    const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(50);
    console.log(
      `fault run: ${JSON.stringify({ seconds, requests: stats.requests, faults: stats.faults, totals: report.totals })}`,
    );
  }, 300_000);

  it('keeps under the emulated quotas when the pace is capped at them: no call is throttled', async () => {
    // Prepare: 20 pages to scan and 30 associations, both quotas at 5 per second.
    const keyArn = await seed(names('/paced/u', 30), names('/paced/e', 970));
    await h.em.setFaults({ tpsLimits: { 'logs.DescribeLogGroups': 5, 'logs.AssociateKmsKey': 5 } });

    // Act: 5 per second for each, the AssociateKmsKey pace capped there (ASSOCIATE_TPS_MAX), as for an
    // account whose quota is shared and known.
    const started = Date.now();
    const report = await handlerFor(keyArn, {
      ASSOCIATE_TPS: '5',
      ASSOCIATE_TPS_MAX: '5',
      DESCRIBE_LOG_GROUPS_TPS: '5',
    })({}, lambdaContext());
    const seconds = (Date.now() - started) / 1000;

    // Assess: exactly the calls needed, none throttled, scanning overlapped with associating.
    const stats = await h.em.stats();
    expect(report.totals).toMatchObject({ scanned: 1000, remediated: 30, failed: 0 });
    expect(stats.faults).toEqual({});
    expect(stats.requests).toMatchObject({ 'logs.DescribeLogGroups': 20, 'logs.AssociateKmsKey': 30 });
    expect(report.pace).toEqual({ associateTpsReached: 5, throttles: 0 });
    expect(seconds).toBeGreaterThan(5.5);
    console.log(`paced run: 20 pages and 30 associations at 5/s each in ${seconds.toFixed(1)} s (floor 6 s)`);
  });

  it('skips a group deleted mid-run and remediates the others', async () => {
    const keyArn = await seed(['/a', '/gone', '/c']);
    await h.em.setFaults({ groupErrors: { '/gone': 'ResourceNotFoundException' } });

    const report = await handlerFor(keyArn)({}, lambdaContext());

    expect(report.groups.find((g) => g.logGroupName === '/gone')).toMatchObject({
      outcome: 'skipped',
      reason: 'group-deleted',
    });
    expect(report.totals).toMatchObject({ remediated: 2, skipped: 1, failed: 0 });
    const keys = await readGroupKeys(h.aws.logs);
    expect([keys.get('/a'), keys.get('/c'), keys.has('/gone')]).toEqual([keyArn, keyArn, false]);
  });

  it('stops when the key is disabled after 50 associations: the rest are skipped with key-unusable', async () => {
    const keyArn = await seed(names('/svc/', 120));
    await h.em.setFaults({ disableKeyAfterAssociations: 50 });

    const report = await handlerFor(keyArn)({}, lambdaContext());

    expect(report.totals).toMatchObject({ scanned: 120, remediated: 50, skipped: 70, failed: 0 });
    expect(
      report.groups.filter((g) => g.outcome === 'skipped').every((g) => g.reason === 'key-unusable'),
    ).toBe(true);
    expect(report.key.usable).toBe(false);
    expect(report.key.problems).toContainEqual({
      code: 'KEY_NOT_ENABLED',
      message: expect.stringMatching(/During the run/),
    });
    const keys = await readGroupKeys(h.aws.logs);
    expect([...keys.values()].filter((k) => k === keyArn)).toHaveLength(50);
    // The remaining groups were given up on, not hammered: a handful of attempts after the key went bad.
    expect((await h.em.requestCounts())['logs.AssociateKmsKey']).toBeLessThanOrEqual(50 + 4);
  });

  it('stops at a deadline with a resume token, and the resumed run finishes the sweep', async () => {
    // Prepare: 400 groups, 150 unencrypted, and a deadline that leaves time for about 60 associations.
    const keyArn = await seed(names('/app/u', 150), names('/app/e', 250));
    const handler = handlerFor(keyArn);
    let associations = 0;
    await h.em.resetRequestCounts();
    const remaining = () => {
      void h.em.requestCounts().then((c) => {
        associations = c['logs.AssociateKmsKey'] ?? 0;
      });
      return associations >= 60 ? 5_000 : 300_000;
    };

    // Act
    const first = await handler({}, lambdaContext(remaining));
    const second = await handler({ resumeToken: first.resumeToken }, lambdaContext());

    // Assess
    expect(first.complete).toBe(false);
    expect(first.resumeToken).toEqual(expect.any(String));
    expect(first.totals.notReached).toBeGreaterThan(0);
    expect(second.complete).toBe(true);
    // Groups not reached by the first run are handed to the second: together, each group once.
    const finalOutcomes = [...first.groups.filter((g) => g.outcome !== 'not-reached'), ...second.groups];
    const finalNames = finalOutcomes.map((g) => g.logGroupName);
    expect(new Set(finalNames).size).toBe(finalNames.length);
    expect(finalNames.length + first.totals.alreadyEncrypted + second.totals.alreadyEncrypted).toBe(400);
    expect(first.totals.remediated + second.totals.remediated).toBe(150);
    const keys = await readGroupKeys(h.aws.logs);
    expect([...keys.values()].every((k) => k === keyArn)).toBe(true);
  });

  it.each([
    ['the topic is deleted', 'deleted'],
    ['every publish fails', 'failing'],
  ])(
    'fails the invocation when %s, logs the whole report and keeps the associations',
    async (_label, mode) => {
      // Prepare
      const keyArn = await seed(['/a', '/b']);
      if (mode === 'deleted') {
        const { DeleteTopicCommand } = await import('@aws-sdk/client-sns');
        await h.aws.sns.send(new DeleteTopicCommand({ TopicArn: topic.topicArn }));
      } else {
        await h.em.setFaults({ errorRates: { 'sns.Publish': { ServiceUnavailableException: 1 } } });
      }
      const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
      const errorLog = jest.spyOn(logger, 'error');

      // Act
      const failure = await handlerFor(
        keyArn,
        { MAX_ATTEMPTS: '3' },
        logger,
      )({}, lambdaContext()).catch((e: unknown) => e);

      // Assess
      expect(failure).toBeInstanceOf(ReportPublishError);
      const logged = errorLog.mock.calls.find(([message]) => message === 'Report could not be published');
      expect((logged?.[1] as { report: Report } | undefined)?.report.totals).toMatchObject({ remediated: 2 });
      const keys = await readGroupKeys(h.aws.logs);
      expect([keys.get('/a'), keys.get('/b')]).toEqual([keyArn, keyArn]);
      if (mode === 'failing') expect((await h.em.requestCounts())['sns.Publish']).toBe(3);

      // A retry of the invocation (Lambda's async retry) changes nothing that is already in place.
      await h.em.clearFaults();
      await h.em.resetRequestCounts();
      if (mode === 'failing') {
        const retry = await handlerFor(keyArn)({}, lambdaContext());
        expect(retry.totals).toMatchObject({ alreadyEncrypted: 2, remediated: 0 });
        expect((await h.em.requestCounts())['logs.AssociateKmsKey'] ?? 0).toBe(0);
      }
    },
  );

  it('counts each group once in each report when two runs overlap', async () => {
    // Reserved concurrency 1 prevents this in AWS, but a manual invoke during a scheduled run can overlap.
    const keyArn = await seed(names('/overlap/', 60));
    const handler = handlerFor(keyArn);

    const [a, b] = await Promise.all([handler({}, lambdaContext()), handler({}, lambdaContext())]);

    for (const report of [a, b]) {
      expectEachGroupOnce(report);
      expect(report.totals.scanned).toBe(60);
      expect(report.totals.failed).toBe(0);
    }
    const keys = await readGroupKeys(h.aws.logs);
    expect([...keys.values()].every((k) => k === keyArn)).toBe(true);
  });

  it('rejects malformed events with no AWS call at all (property test)', async () => {
    const keyArn = await seed(['/a']);
    const handler = handlerFor(keyArn);
    const nearMisses = [
      'dryrun',
      'DryRun',
      'dry_run',
      'dryRun ',
      'maxremediations',
      'Report',
      'logGroupNameprefix',
    ];
    const malformed = fc.oneof(
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
      fc.record({ [fc.sample(fc.constantFrom(...nearMisses), 1)[0] as string]: fc.jsonValue() }),
      fc.dictionary(fc.constantFrom(...nearMisses), fc.jsonValue(), { minKeys: 1 }),
      fc.record({ dryRun: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
      fc.record({
        maxRemediations: fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true }), fc.string()),
      }),
      fc.record({ logGroupNamePrefix: fc.string({ minLength: 513, maxLength: 20_000 }) }),
      fc.record({ report: fc.string().filter((s) => s !== 'always' && s !== 'findings') }),
      fc.record({ resumeToken: fc.oneof(fc.string(), fc.integer()) }),
    );
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(malformed, async (event) => {
        cases++;
        const failure = await handler(event, lambdaContext()).catch((e: unknown) => e);
        expect(failure).toBeInstanceOf(EventError);
        expect(() => parseEvent(event)).toThrow(EventError);
      }),
      { numRuns: 300 },
    );
    expect(await h.em.requestCounts()).toEqual({});
    console.log(`malformed-event property test: ${cases} cases, 0 AWS requests`);
  });
});
