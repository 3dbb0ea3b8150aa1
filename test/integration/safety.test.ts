/**
 * The product does exactly what it says, over the wire: a resumed dry run stays dry, a field on a
 * scheduled event is never dropped, a throttled key lookup is never a verdict, a role's denial is
 * not blamed on the key policy, and a sweep visits each lasting group once while groups come and go.
 * The emulator's request counts are the judge of what was called.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EventError, KeyLookupError } from '../../lib/core/errors';
import { decodeResumeToken } from '../../lib/core/resume-token';
import type { Report } from '../../lib/core/types';
import type { SweepContinuation } from '../../lib/run/run-request';
import { createGroups, createKey, createReportTopic, readGroupKey, readGroupKeys } from '../support/aws-seed';
import { asReport, silentLogger, TEST_ENV, useEmulator } from '../support/emulator-harness';
import { lambdaContext } from '../support/lambda-context';

const h = useEmulator();
const sample = (file: string) =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', file), 'utf8')) as Record<string, unknown> & {
    detail: Record<string, unknown>;
  };

let keyArn: string;
let topicArn: string;

beforeEach(async () => {
  await h.em.reset();
  topicArn = (await createReportTopic(h.aws)).topicArn;
  keyArn = await createKey(h.aws.kms);
  await h.em.resetRequestCounts();
});

const handlerWith = (env: Record<string, string> = {}) =>
  h.buildHandler({ ...TEST_ENV, KMS_KEY_ID: keyArn, REPORT_TOPIC_ARN: topicArn, ...env }, silentLogger());

/** Room for `checks` clock readings before the deadline margin: the run reads it once per group and page. */
function deadlineAfter(checks: number) {
  let n = 0;
  return () => (n++ < checks ? 300_000 : 1_000);
}

const associations = async () => (await h.em.requestCounts())['logs.AssociateKmsKey'] ?? 0;
const names = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

describe('a resumed dry run', () => {
  it('stays dry in a function whose DRY_RUN is false: zero AssociateKmsKey calls', async () => {
    // Prepare: 150 unencrypted groups; the first invocation has room for about 60 of them.
    await createGroups(h.aws.logs, names('/dry/g', 150));
    const handler = handlerWith({ DRY_RUN: 'false' });
    const first = asReport(await handler({ dryRun: true }, lambdaContext(deadlineAfter(60))));
    expect(first.complete).toBe(false);

    // Act: exactly the event the report says to send.
    const second = asReport(await handler({ resumeToken: first.resumeToken }, lambdaContext()));

    // Assess
    expect(await associations()).toBe(0);
    expect(second.dryRun).toBe(true);
    expect(first.totals.wouldRemediate + second.totals.wouldRemediate).toBe(150);
    expect((await readGroupKeys(h.aws.logs)).get('/dry/g0149')).toBeUndefined();
  });

  it('rejects a resume event that says dryRun false, before any AWS call', async () => {
    await createGroups(h.aws.logs, names('/dry/g', 120));
    const handler = handlerWith();
    const first = asReport(await handler({ dryRun: true }, lambdaContext(deadlineAfter(60))));
    await h.em.resetRequestCounts();

    const failure = await handler({ resumeToken: first.resumeToken, dryRun: false }, lambdaContext()).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(EventError);
    expect(failure).toMatchObject({ field: 'dryRun' });
    expect(await h.em.requestCounts()).toEqual({});
  });
});

describe('fields beyond an event’s documented shape', () => {
  it('rejects a scheduled event carrying dryRun, with no AWS call and no change', async () => {
    await createGroups(h.aws.logs, ['/sched/a']);
    await h.em.resetRequestCounts();

    const failure = await handlerWith()({ ...sample('scheduled.json'), dryRun: true }, lambdaContext()).catch(
      (e: unknown) => e,
    );

    expect(failure).toMatchObject({ name: 'EventError', field: 'dryRun' });
    expect(await h.em.requestCounts()).toEqual({});
    expect(await readGroupKey(h.aws.logs, '/sched/a')).toBeUndefined();
  });

  it('takes a CloudTrail record whose errorCode is empty as a call that created the group', async () => {
    const event = sample('create-log-group.json');
    await createGroups(h.aws.logs, ['/app/orders-api']);

    const report = asReport(
      await handlerWith()({ ...event, detail: { ...event.detail, errorCode: '' } }, lambdaContext()),
    );

    expect(report.totals.remediated).toBe(1);
    expect(await readGroupKey(h.aws.logs, '/app/orders-api')).toBe(keyArn);
  });
});

describe('a throttled key lookup for a new group', () => {
  it('fails the invocation without a verdict, and the event’s retry in the same warm container encrypts the group', async () => {
    // Prepare: DescribeKey throttled past the SDK's retries on the container's first lookup.
    const handler = handlerWith({ MAX_ATTEMPTS: '2' });
    const event = sample('create-log-group.json');
    await createGroups(h.aws.logs, ['/app/orders-api']);
    await h.em.resetRequestCounts();
    await h.em.setFaults({ errorRates: { 'kms.DescribeKey': { ThrottlingException: 1 } } });

    // Act: the first delivery meets the throttle; Lambda retries the event once KMS answers again.
    const failure = await handler(event, lambdaContext()).catch((e: unknown) => e);
    const afterFailure = await associations();
    await h.em.clearFaults();
    const retried = asReport(await handler(event, lambdaContext()));

    // Assess: no verdict was cached for the five minutes of KEY_CACHE_SECONDS.
    expect(failure).toBeInstanceOf(KeyLookupError);
    expect(failure).toMatchObject({ code: 'ThrottlingException' });
    expect(afterFailure).toBe(0);
    expect(retried.totals.remediated).toBe(1);
    expect(retried.key.problems).toEqual([]);
    expect(await readGroupKey(h.aws.logs, '/app/orders-api')).toBe(keyArn);
  });

  it('reports a sweep’s throttled lookup as unknown, not as a missing key, and changes nothing', async () => {
    await createGroups(h.aws.logs, ['/app/a']);
    await h.em.setFaults({ errorRates: { 'kms.DescribeKey': { ThrottlingException: 1 } } });

    const report = asReport(await handlerWith({ MAX_ATTEMPTS: '1' })({}, lambdaContext()));

    expect(report.key.problems.map((p) => p.code)).toEqual(['KEY_LOOKUP_FAILED']);
    expect(report.groups).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'key-unchecked' })]);
    expect(await associations()).toBe(0);
  });
});

describe('an AssociateKmsKey denied by IAM', () => {
  it('names the role and the action, and offers no key-policy fix', async () => {
    await createGroups(h.aws.logs, ['/iam/a', '/iam/b']);
    await h.em.setFaults({ groupErrors: { '/iam/a': 'IamAccessDenied' } });

    const report = asReport(await handlerWith()({}, lambdaContext()));

    const failed = report.groups.find((g) => g.logGroupName === '/iam/a');
    expect(failed).toMatchObject({ outcome: 'failed', errorCode: 'AccessDeniedException' });
    expect(failed && 'message' in failed ? failed.message : '').toMatch(
      /assumed-role\/logs-kms-remediator-role.*logs:AssociateKmsKey/,
    );
    expect(report.key.policyFix).toBeUndefined();
    expect(report.totals.remediated).toBe(1);
  });
});

/** The group a moto page token resumes at (moto's tokens name it); undefined for any other token. */
function groupOfMotoToken(pageToken: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(pageToken ?? '', 'base64').toString('utf8'));
    return String(parsed.uniqueAttributes).split('|')[0]?.split(':log-group:')[1];
  } catch {
    return undefined;
  }
}

describe('a sweep while groups come and go', () => {
  it('visits every group that exists for the whole sweep exactly once', async () => {
    // Prepare: 400 unencrypted groups; each invocation has room for about 90.
    const initial = names('/churn/g', 400);
    await createGroups(h.aws.logs, initial);
    const handler = handlerWith({ DESCRIBE_LOG_GROUPS_TPS: '0' });
    const deleted = new Set<string>();
    const createdAhead: string[] = [];
    let tokenGroupsDeleted = 0;
    let answer = (await handler({ sweep: {} }, lambdaContext(deadlineAfter(90)))) as
      | SweepContinuation
      | Report;
    let invocations = 1;

    // Act: between invocations, delete groups behind and ahead of the stop, among them the group the
    // page token resumes at, and create groups on both sides of the stop.
    while ('sweep' in answer && invocations < 20) {
      const { position } = decodeResumeToken(answer.resumeToken);
      const after = position.after ?? '';
      const tokenGroup = groupOfMotoToken(position.pageToken);
      const ahead = initial.find((n) => n > after && !deleted.has(n));
      const doomed = [tokenGroup, after, ahead].filter((n): n is string => !!n && initial.includes(n));
      for (const name of new Set(doomed)) {
        if (deleted.has(name)) continue;
        await h.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
        deleted.add(name);
        if (name === tokenGroup) tokenGroupsDeleted++;
      }
      const fresh = [`${after}a`, `/churn/g9999-${invocations}`];
      await createGroups(h.aws.logs, [...fresh, `${tokenGroup ?? '/churn/g'}-behind`]);
      createdAhead.push(...fresh);
      answer = (await handler(JSON.parse(JSON.stringify(answer)), lambdaContext(deadlineAfter(90)))) as
        | SweepContinuation
        | Report;
      invocations++;
    }

    // Assess: every lasting group encrypted and reported once; the groups created ahead of the scan seen.
    expect('sweep' in answer).toBe(false);
    const report = answer as Report;
    expect(invocations).toBeGreaterThanOrEqual(4);
    expect(tokenGroupsDeleted).toBeGreaterThanOrEqual(2);
    const remediated = report.groups.filter((g) => g.outcome === 'remediated').map((g) => g.logGroupName);
    expect(new Set(remediated).size).toBe(remediated.length);
    const lasting = initial.filter((n) => !deleted.has(n));
    const keys = await readGroupKeys(h.aws.logs);
    expect(lasting.filter((n) => keys.get(n) !== keyArn)).toEqual([]);
    expect(lasting.filter((n) => !remediated.includes(n))).toEqual([]);
    expect(createdAhead.filter((n) => !remediated.includes(n))).toEqual([]);
    expect(await associations()).toBe(remediated.length);
    expect(report.totals.scanned).toBe(report.totals.remediated);
  }, 120_000);
});
