import { Metrics } from '@aws-lambda-powertools/metrics';
import { createMetricsAdapter } from '../../lib/aws/metrics-emf';
import { buildReport } from '../../lib/core/report';
import {
  computeRealtimeMetrics,
  computeRunMetrics,
  METRICS_NAMESPACE,
  PACE_METRIC_NAMES,
  RUN_METRIC_NAMES,
} from '../../lib/core/run-metrics';
import type { GroupOutcome } from '../../lib/core/types';
import { keyReport } from '../support/fakes';

const key = (usable: boolean) => keyReport({ usable });

function reportWith(outcomes: GroupOutcome[], alreadyEncrypted: number, usable = true) {
  return buildReport({
    runId: 'r',
    account: '123456789012',
    region: 'us-east-1',
    dryRun: false,
    startedAt: new Date('2026-11-30T10:00:00.000Z'),
    finishedAt: new Date('2026-11-30T10:00:02.500Z'),
    complete: true,
    key: key(usable),
    alreadyEncrypted,
    outcomes,
    keysInUse: [],
  });
}

describe('computeRunMetrics', () => {
  it('emits every named metric once, with the run’s figures', () => {
    const report = reportWith(
      [
        { outcome: 'remediated', logGroupName: '/a' },
        { outcome: 'remediated', logGroupName: '/b' },
        { outcome: 'failed', logGroupName: '/c', errorCode: 'X', message: 'x' },
        { outcome: 'skipped', logGroupName: '/d', reason: 'delivery-class' },
        { outcome: 'excluded', logGroupName: '/e', reason: 'exclude-tag' },
        { outcome: 'not-reached', logGroupName: '/f', reason: 'deadline' },
      ],
      10,
    );

    const metrics = Object.fromEntries(computeRunMetrics(report).map((m) => [m.name, [m.value, m.unit]]));

    expect(Object.keys(metrics).sort()).toEqual([...RUN_METRIC_NAMES].sort());
    expect(metrics).toEqual({
      AtRiskGroups: [0, 'Count'],
      AtRiskKeys: [0, 'Count'],
      Scanned: [16, 'Count'],
      UnencryptedFound: [6, 'Count'],
      Remediated: [2, 'Count'],
      WouldRemediate: [0, 'Count'],
      Failed: [1, 'Count'],
      Skipped: [1, 'Count'],
      NotReached: [1, 'Count'],
      KeyUsable: [1, 'Count'],
      Duration: [2500, 'Milliseconds'],
    });
  });

  it.each([
    [true, 1],
    [false, 0],
  ])('reports KeyUsable as %s → %i', (usable, value) => {
    const metric = computeRunMetrics(reportWith([], 0, usable)).find((m) => m.name === 'KeyUsable');
    expect(metric?.value).toBe(value);
  });
});

describe('the EMF metrics adapter', () => {
  it('adds each metric and flushes them at once', () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    const added = jest.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
    const flushed = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);

    createMetricsAdapter(metrics).recordRun([
      { name: 'Scanned', unit: 'Count', value: 3 },
      { name: 'Duration', unit: 'Milliseconds', value: 12 },
    ]);

    expect(added.mock.calls).toEqual([
      ['Scanned', 'Count', 3],
      ['Duration', 'Milliseconds', 12],
    ]);
    expect(flushed).toHaveBeenCalledTimes(1);
  });
});

describe('the key audit figures', () => {
  it('counts the groups at risk and the keys they are on, whatever the run did about them', () => {
    const base = reportWith([], 5);
    const report = {
      ...base,
      keysInUse: [
        { arn: 'target', groups: 2, verdict: 'target' as const, state: 'Enabled' },
        {
          arn: 'disabled',
          groups: 2,
          verdict: 'at-risk' as const,
          state: 'Disabled',
          groupsAtRisk: 2,
          reassociated: 2,
        },
        { arn: 'scoped', groups: 3, verdict: 'at-risk' as const, state: 'Enabled', groupsAtRisk: 1 },
        { arn: 'foreign', groups: 1, verdict: 'unverified' as const, state: null },
      ],
    };
    const metrics = Object.fromEntries(computeRunMetrics(report).map((m) => [m.name, m.value]));
    expect(metrics).toMatchObject({ AtRiskGroups: 3, AtRiskKeys: 2 });
  });
});

describe('the pace metrics', () => {
  it.each([
    ['a run', computeRunMetrics],
    ['a new group', (r: ReturnType<typeof reportWith>) => computeRealtimeMetrics(r, r.startedAt)],
  ])('are emitted for %s whose report has a pace, and only then', (_label, compute) => {
    const plain = reportWith([{ outcome: 'remediated', logGroupName: '/a' }], 0);
    const paced = { ...plain, pace: { associateTpsReached: 22.5, throttles: 4 } };

    expect(compute(plain).filter((m) => (PACE_METRIC_NAMES as readonly string[]).includes(m.name))).toEqual(
      [],
    );
    expect(compute(paced).filter((m) => (PACE_METRIC_NAMES as readonly string[]).includes(m.name))).toEqual([
      { name: 'AssociateTpsReached', unit: 'Count/Second', value: 22.5 },
      { name: 'AssociateThrottles', unit: 'Count', value: 4 },
    ]);
  });
});
