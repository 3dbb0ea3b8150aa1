/**
 * The adaptive AssociateKmsKey pace against the emulator: the quota drops in the middle of a run
 * and the product follows it down without failing a group, and a warm container keeps the rate it
 * learned. Throttles are counted by the emulator, not only by the code under test.
 */
import { createKey, createReportTopic, type ReportTopic, readGroupKeys } from '../support/aws-seed';
import { asReport, silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { lambdaContext } from '../support/lambda-context';

const h = useEmulator();
let topic: ReportTopic;

beforeEach(async () => {
  await h.em.clearFaults();
  await h.em.reset();
  topic = await createReportTopic(h.aws);
});

const names = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

describe('the adaptive AssociateKmsKey pace', () => {
  it('follows a quota that drops mid-run, fails no group, and keeps the lower rate for the next run', async () => {
    // Prepare: 160 unencrypted groups; AssociateKmsKey allows 30 calls a second, then 5 once 100 went through.
    const keyArn = await createKey(h.aws.kms);
    await h.em.seedLogGroups({ groups: names('/drop/a', 160).map((name) => ({ name })) });
    await h.em.resetRequestCounts();
    await h.em.setFaults({
      tpsLimits: { 'logs.AssociateKmsKey': 30 },
      tpsLimitsAfterAssociations: { after: 100, tpsLimits: { 'logs.AssociateKmsKey': 5 } },
    });
    // The product's defaults for the pace: start at 5 per second, at most 50.
    const { ASSOCIATE_TPS: _unpaced, ...env } = TEST_ENV;
    const handler = h.buildHandler(
      { ...env, DESCRIBE_LOG_GROUPS_TPS: '0', KMS_KEY_ID: keyArn, REPORT_TOPIC_ARN: topic.topicArn },
      silentLogger(),
    );

    // Act
    const first = asReport(await handler({}, lambdaContext()));
    const firstStats = await h.em.stats();

    // Assess: every group encrypted, none failed; the pace rose well above its start while the quota
    // allowed it, and every throttle the emulator answered was seen, retried ones included.
    expect(first.totals).toMatchObject({ scanned: 160, remediated: 160, failed: 0 });
    const keys = await readGroupKeys(h.aws.logs);
    expect([...keys.values()].filter((k) => k !== keyArn)).toEqual([]);
    const throttled = firstStats.faults['logs.AssociateKmsKey.ThrottlingException'] ?? 0;
    expect(throttled).toBeGreaterThan(0);
    expect(first.pace).toEqual({ associateTpsReached: expect.any(Number), throttles: throttled });
    expect(first.pace?.associateTpsReached).toBeGreaterThan(15);
    expect(first.pace?.associateTpsReached).toBeLessThanOrEqual(50);
    // Following the drop costs some throttles, not one per call.
    expect(throttled).toBeLessThan(0.2 * 160);

    // Act again, in the same warm container, with the quota still at 5.
    await h.em.seedLogGroups({ groups: names('/drop/b', 30).map((name) => ({ name })) });
    await h.em.resetRequestCounts();
    const second = asReport(await handler({}, lambdaContext()));
    const secondStats = await h.em.stats();

    // Assess: it starts from what it learned (about 5), not from a rate the quota no longer allows.
    expect(second.totals).toMatchObject({ remediated: 30, failed: 0 });
    expect(second.pace?.associateTpsReached).toBeLessThan(8);
    expect(second.pace?.throttles).toBe(secondStats.faults['logs.AssociateKmsKey.ThrottlingException'] ?? 0);
    console.log(
      `quota drop: first run ${JSON.stringify(first.pace)}, second run ${JSON.stringify(second.pace)}`,
    );
  }, 120_000);
});
