/**
 * A sweep longer than one invocation, end to end: the state machine definition that
 * `serverless package` produced, executed by the small ASL interpreter in test/support, drives
 * the real handler against the emulator, each invocation with a deadline that leaves room for
 * about 3,000 groups.
 */

import type { Report } from '../../lib/types';
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
      { 'detail-type': 'Scheduled Event' },
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
    });
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
});
