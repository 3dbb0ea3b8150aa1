import { EventError } from '../../lib/core/errors';
import { parseEvent } from '../../lib/core/event';
import { buildReport } from '../../lib/core/report';
import { mergeSweep, parseSweepState, SWEEP_GROUPS_MAX_BYTES } from '../../lib/core/sweep';
import type { GroupOutcome, Report } from '../../lib/core/types';
import { runRemediation, type SweepContinuation } from '../../lib/run/run-request';
import { ACCOUNT, baseConfig, createFakePorts, group, KEY_ARN, keyReport } from '../support/fakes';

const KEY = keyReport();

function invocationReport(
  runId: string,
  outcomes: GroupOutcome[],
  alreadyEncrypted: number,
  complete: boolean,
): Report {
  return buildReport({
    runId,
    account: ACCOUNT,
    region: 'us-east-1',
    dryRun: false,
    startedAt: new Date(`2026-11-30T10:0${runId.length}:00Z`),
    finishedAt: new Date('2026-11-30T10:30:00Z'),
    complete,
    ...(complete ? {} : { resumeToken: 'token' }),
    key: KEY,
    alreadyEncrypted,
    outcomes,
    keysInUse: [],
  });
}

describe('mergeSweep', () => {
  it('adds the totals and drops the groups handed over at a deadline', () => {
    // Prepare: the first invocation stops with two groups handed over; the second finishes.
    const first = invocationReport(
      'a',
      [
        { outcome: 'remediated', logGroupName: '/a' },
        { outcome: 'not-reached', logGroupName: '/b', reason: 'deadline' },
        { outcome: 'not-reached', logGroupName: '/c', reason: 'deadline' },
      ],
      5,
      false,
    );
    const second = invocationReport(
      'bb',
      [
        { outcome: 'remediated', logGroupName: '/b' },
        { outcome: 'failed', logGroupName: '/c', errorCode: 'X', message: 'x' },
      ],
      3,
      true,
    );

    // Act
    const state = mergeSweep(mergeSweep(undefined, first), second);

    // Assess: 6 + 5 groups, each once; '/b' and '/c' counted only by the invocation that did them.
    expect(state.totals).toEqual({
      scanned: 11,
      alreadyEncrypted: 8,
      remediated: 2,
      wouldRemediate: 0,
      excluded: 0,
      skipped: 0,
      failed: 1,
      notReached: 0,
      atRisk: 0,
      otherKey: 0,
      unverified: 0,
      reassociated: 0,
      wouldReassociate: 0,
    });
    expect(state.groups.map((g) => [g.logGroupName, g.outcome])).toEqual([
      ['/c', 'failed'],
      ['/a', 'remediated'],
      ['/b', 'remediated'],
    ]);
    expect(state).toMatchObject({ runId: 'a', startedAt: first.startedAt, invocations: 2 });
  });

  it('keeps not-reached groups of a finished run (maxRemediations): nobody else will account for them', () => {
    const done = invocationReport(
      'a',
      [{ outcome: 'not-reached', logGroupName: '/x', reason: 'max-remediations' }],
      0,
      true,
    );
    expect(mergeSweep(undefined, done).totals).toMatchObject({ scanned: 1, notReached: 1 });
  });

  it('caps the carried group list, failures first, and counts what it leaves out', () => {
    const outcomes: GroupOutcome[] = Array.from({ length: 5_000 }, (_, i) =>
      i % 10 === 0
        ? {
            outcome: 'failed',
            logGroupName: `/g/${i}`,
            errorCode: 'AccessDeniedException',
            message: 'x'.repeat(40),
          }
        : { outcome: 'remediated', logGroupName: `/g/${i}` },
    );
    const state = mergeSweep(undefined, invocationReport('a', outcomes, 0, true));
    expect(JSON.stringify(state.groups).length).toBeLessThanOrEqual(
      SWEEP_GROUPS_MAX_BYTES + state.groups.length,
    );
    expect(state.groups.length + state.groupsOmitted).toBe(5_000);
    expect(state.groups.filter((g) => g.outcome === 'failed')).toHaveLength(500);
    expect(state.totals.remediated).toBe(4_500);
  });
});

describe('mergeSweep: the keys in use across invocations', () => {
  const OLD = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0000aaaa-12ab-34cd-56ef-1234567890ab`;
  const withKeys = (keysInUse: Report['keysInUse'], dryRun = false): Report => ({
    ...invocationReport('a', [], 0, false),
    keysInUse,
    dryRun,
  });

  it('adds up the groups of each key, keeps the worst verdict seen, and warns once for all the moves', () => {
    const first = mergeSweep(
      undefined,
      withKeys([
        { arn: KEY_ARN, groups: 3, verdict: 'target', state: 'Enabled' },
        {
          arn: OLD,
          groups: 2,
          verdict: 'at-risk',
          state: 'Disabled',
          groupsAtRisk: 2,
          reassociated: 2,
          warning: 'x',
        },
      ]),
    );
    // The key was enabled again between two invocations: the groups seen at risk stay counted.
    const second = mergeSweep(
      first,
      withKeys([
        { arn: KEY_ARN, groups: 1, verdict: 'target', state: 'Enabled' },
        { arn: OLD, groups: 1, verdict: 'healthy', state: 'Enabled' },
      ]),
    );

    expect(second.keysInUse.map((k) => [k.arn, k.groups, k.verdict, k.groupsAtRisk])).toEqual([
      [KEY_ARN, 4, 'target', undefined],
      [OLD, 3, 'at-risk', 2],
    ]);
    expect(second.keysInUse[1]?.reassociated).toBe(2);
    expect(second.keysInUse[1]?.warning).toContain('2 group(s) were moved off this key');
    expect(parseSweepState(JSON.parse(JSON.stringify(second)))).toEqual(second);
  });
});

describe('mergeSweep: the pace across invocations', () => {
  it('keeps the highest rate any invocation reached, and adds up the throttles', () => {
    const paced = (associateTpsReached: number, throttles: number): Report => ({
      ...invocationReport('a', [], 0, false),
      pace: { associateTpsReached, throttles },
    });
    const state = [paced(12, 1), paced(48.5, 4), paced(30, 0)].reduce<
      ReturnType<typeof mergeSweep> | undefined
    >((s, r) => mergeSweep(s, r), undefined);
    expect(state?.pace).toEqual({ associateTpsReached: 48.5, throttles: 5 });
    expect(parseSweepState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(() => parseSweepState({ ...state, pace: { throttles: -1 } })).toThrow(EventError);
  });
});

describe('parseSweepState', () => {
  const valid = mergeSweep(undefined, invocationReport('a', [], 1, false));

  it('starts a sweep from {}', () => {
    expect(parseSweepState({})).toBeUndefined();
  });

  it('accepts a state it produced, after a JSON round trip', () => {
    expect(parseSweepState(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });

  it.each<[string, unknown]>([
    ['a string', 'state'],
    ['an array', []],
    ['another version', { ...valid, v: 3 }],
    ['a state from before the key audit (v1)', { ...valid, v: 1 }],
    ['a bad key in use', { ...valid, keysInUse: [{ arn: 'k', groups: 1, verdict: 'fine' }] }],
    ['an unknown field', { ...valid, extra: 1 }],
    ['negative counts', { ...valid, totals: { ...valid.totals, scanned: -1 } }],
    ['a missing total', { ...valid, totals: { scanned: 1 } }],
    ['a bad group outcome', { ...valid, groups: [{ logGroupName: '/a', outcome: 'encrypted' }] }],
    ['no key section', { ...valid, key: null }],
    ['a bad start time', { ...valid, startedAt: 'yesterday' }],
  ])('rejects %s, naming the sweep field', (_label, value) => {
    expect(() => parseSweepState(value)).toThrow(EventError);
    expect(() => parseEvent({ sweep: value })).toThrow(expect.objectContaining({ field: 'sweep' }));
  });
});

describe('a sweep driven the way Step Functions drives it', () => {
  it('continues across invocations and publishes one report with the whole sweep’s totals', async () => {
    // Prepare: 500 groups (every 5th unencrypted); each invocation has time for 120 group checks.
    const groups = Array.from({ length: 500 }, (_, i) =>
      group(`/svc/${String(i).padStart(3, '0')}`, i % 5 === 0 ? {} : { kmsKeyId: KEY_ARN }),
    );
    const fake = createFakePorts({ groups });
    let event: Record<string, unknown> = { sweep: {} };
    let final: Report | undefined;
    let invocations = 0;

    // Act: the state machine's loop — invoke, and again with the continuation while there is one.
    while (!final && invocations < 50) {
      invocations++;
      let checks = 0;
      const remainingTimeMs = () => (checks++ < 120 ? 300_000 : 1_000);
      const result = await runRemediation(baseConfig(), parseEvent(event), fake.ports, {
        runId: `run-${invocations}`,
        account: ACCOUNT,
        remainingTimeMs,
      });
      const continuation: SweepContinuation | undefined = result.continuation;
      if (continuation) event = JSON.parse(JSON.stringify({ ...continuation }));
      else final = result.report;
    }

    // Assess
    expect(invocations).toBeGreaterThanOrEqual(5);
    expect(fake.calls.published).toHaveLength(1);
    expect(fake.calls.metrics).toHaveLength(1);
    expect(final).toMatchObject({ runId: 'run-1', complete: true, invocations });
    expect(final?.totals).toEqual({
      scanned: 500,
      alreadyEncrypted: 400,
      remediated: 100,
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
    const names = final?.groups.map((g) => g.logGroupName) ?? [];
    expect(new Set(names).size).toBe(100);
    expect(groups.every((g) => g.kmsKeyId === KEY_ARN)).toBe(true);
  });

  it('rejects a sweep state that is not one it issued before any AWS call', async () => {
    const fake = createFakePorts({ groups: [group('/a')] });
    expect(() => parseEvent({ sweep: { v: 1 } })).toThrow(EventError);
    expect(fake.calls.readKeyFacts).toHaveLength(0);
  });
});
