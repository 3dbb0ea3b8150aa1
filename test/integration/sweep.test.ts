/**
 * A sweep longer than one invocation, end to end: the state machine definition that
 * `serverless package` produced, executed by the small ASL interpreter in test/support, drives
 * the real handler against the emulator, each invocation with a deadline that leaves room for
 * about 3,000 groups.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../lib/core/types';
import { createKey, createReportTopic, receiveReports } from '../support/aws-seed';
import type { JsonObject } from '../support/cfn-stack';
import { Stack } from '../support/cfn-stack';
import { silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { aloneRunning } from '../support/fake-sweep-services';
import { lambdaContext } from '../support/lambda-context';
import { usePackagedStacks } from '../support/package-stack';
import { executeStateMachine } from '../support/state-machine';

const h = useEmulator();
const packaged = usePackagedStacks({ created: {} });

/** Room for about `groups` decisions: the run checks the clock once per group and once per page. */
function deadlineAfter(groups: number) {
  let checks = 0;
  return () => (checks++ < groups ? 300_000 : 1_000);
}

describe('a sweep of 20,000 groups through the state machine', () => {
  it('takes about 7 invocations and publishes exactly one report that accounts for every group once', async () => {
    // Prepare: 20,000 groups, every 10th unencrypted.
    await h.em.reset();
    const topic = await createReportTopic(h.aws);
    const keyArn = await createKey(h.aws.kms);
    await h.em.seedLogGroups({
      generate: { prefix: '/sweep/g', count: 20_000, unencryptedEvery: 10, kmsKeyId: keyArn },
    });
    await h.em.resetRequestCounts();
    const handler = h.buildHandler(
      { ...TEST_ENV, KMS_KEY_ID: keyArn, REPORT_TOPIC_ARN: topic.topicArn, DESCRIBE_LOG_GROUPS_TPS: '0' },
      silentLogger(),
    );
    const definition = new Stack(packaged.created.template).resource('SweepStateMachine').Properties
      .Definition as JsonObject;
    let invocations = 0;

    // Act
    const execution = await executeStateMachine(
      definition,
      JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', 'scheduled.json'), 'utf8')),
      async (payload) => {
        invocations++;
        // Step Functions passes JSON: nothing but what serializes survives between invocations.
        const answer = await handler(
          JSON.parse(JSON.stringify(payload)),
          lambdaContext(deadlineAfter(3_000)),
        );
        return JSON.parse(JSON.stringify(answer));
      },
      // The only sweep running: the one-at-a-time check lets it through.
      { sdk: aloneRunning().sdk },
    );

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(invocations).toBeGreaterThanOrEqual(7);
    expect(invocations).toBeLessThanOrEqual(8);
    const report = execution.output as Report;
    expect(report).toMatchObject({ complete: true, invocations });
    expect(report.totals).toEqual({
      scanned: 20_000,
      alreadyEncrypted: 18_000,
      remediated: 2_000,
      wouldRemediate: 0,
      excluded: 0,
      skipped: 0,
      failed: 0,
      notReached: 0,
      atRisk: 0,
      otherKey: 0,
      unverified: 0,
      reassociated: 0,
      wouldReassociate: 0,
    });
    // Every invocation read the target key's groups; the sweep's key list adds them up.
    expect(report.keysInUse).toEqual([expect.objectContaining({ verdict: 'target', groups: 18_000 })]);
    const listed = report.groups.map((g) => g.logGroupName);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.length + report.groupsOmitted).toBe(2_000);
    const stats = await h.em.requestCounts();
    expect(stats['logs.AssociateKmsKey']).toBe(2_000);
    expect(stats['sns.Publish']).toBe(1);
    expect(await receiveReports(h.aws.sqs, topic.queueUrl)).toHaveLength(1);
    console.log(
      `sweep: ${invocations} invocations, ${stats['logs.DescribeLogGroups']} DescribeLogGroups ` +
        `(${Math.ceil(20_000 / 50)} pages; pages read ahead of a deadline are read again), 1 report`,
    );
  }, 300_000);

  it('keeps a dry run dry in every invocation when the execution is started with {"dryRun": true}', async () => {
    // Prepare: a live function (DRY_RUN unset), 3,000 unencrypted groups, room for about 1,000 each time.
    await h.em.reset();
    const topic = await createReportTopic(h.aws);
    const keyArn = await createKey(h.aws.kms);
    await h.em.seedLogGroups({
      generate: { prefix: '/dry/g', count: 3_000, unencryptedEvery: 1, kmsKeyId: keyArn },
    });
    await h.em.resetRequestCounts();
    const handler = h.buildHandler(
      { ...TEST_ENV, KMS_KEY_ID: keyArn, REPORT_TOPIC_ARN: topic.topicArn, DESCRIBE_LOG_GROUPS_TPS: '0' },
      silentLogger(),
    );
    const definition = new Stack(packaged.created.template).resource('SweepStateMachine').Properties
      .Definition as JsonObject;
    let invocations = 0;

    // Act: a person starts the state machine by hand.
    const execution = await executeStateMachine(
      definition,
      { dryRun: true },
      async (payload) => {
        invocations++;
        const answer = await handler(
          JSON.parse(JSON.stringify(payload)),
          lambdaContext(deadlineAfter(1_000)),
        );
        return JSON.parse(JSON.stringify(answer));
      },
      { sdk: aloneRunning().sdk },
    );

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(invocations).toBeGreaterThanOrEqual(3);
    const report = execution.output as Report;
    expect(report).toMatchObject({ dryRun: true, complete: true });
    expect(report.totals).toMatchObject({ scanned: 3_000, wouldRemediate: 3_000, remediated: 0 });
    expect((await h.em.requestCounts())['logs.AssociateKmsKey'] ?? 0).toBe(0);
  }, 300_000);
});
