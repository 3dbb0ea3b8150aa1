/**
 * Pure: the figures each run emits as CloudWatch metrics. The alarms and the dashboard in
 * serverless.yml are built on these names; the template test holds them to this list.
 */
import type { Report } from './types';

export const METRICS_NAMESPACE = 'LogsKmsRemediator';

/** Emitted by runs of one new log group (CloudTrail CreateLogGroup events). */
export const REALTIME_METRIC_NAMES = [
  'RealtimeRemediated',
  'RealtimeLatency',
  'Failed',
  'KeyUsable',
] as const;

/**
 * Emitted by the sweep state machine (serverless.yml), not by the function: one data point of
 * 1 for each scheduled sweep that ended at once because an older sweep was still running.
 */
export const SWEEP_METRIC_NAMES = ['SweepSkipped'] as const;

export const RUN_METRIC_NAMES = [
  'Scanned',
  'UnencryptedFound',
  'Remediated',
  'WouldRemediate',
  'Failed',
  'Skipped',
  'NotReached',
  'KeyUsable',
  'Duration',
  // The key audit: groups on at-risk keys, and at-risk keys (AtRiskKeysAlarm).
  'AtRiskGroups',
  'AtRiskKeys',
] as const;

/** Emitted by every run whose adapter reports its pace: the AssociateKmsKey rate reached, and its throttles. */
export const PACE_METRIC_NAMES = ['AssociateTpsReached', 'AssociateThrottles'] as const;

/** Emitted by the findings function: 1 for each FindingsTopic message Security Hub did not take. */
export const FINDINGS_METRIC_NAMES = ['FindingsFailed'] as const;

export type RunMetricName =
  | (typeof RUN_METRIC_NAMES)[number]
  | (typeof REALTIME_METRIC_NAMES)[number]
  | (typeof PACE_METRIC_NAMES)[number]
  | (typeof FINDINGS_METRIC_NAMES)[number];

export interface RunMetric {
  name: RunMetricName;
  unit: 'Count' | 'Milliseconds' | 'Count/Second';
  value: number;
}

export function computeRunMetrics(report: Report): RunMetric[] {
  const t = report.totals;
  const count = (name: RunMetricName, value: number): RunMetric => ({ name, unit: 'Count', value });
  return [
    count('Scanned', t.scanned),
    // Every scanned group that is not encrypted yet, whatever became of it in this run.
    count('UnencryptedFound', t.scanned - t.alreadyEncrypted),
    count('Remediated', t.remediated),
    count('WouldRemediate', t.wouldRemediate),
    count('Failed', t.failed),
    count('Skipped', t.skipped),
    count('NotReached', t.notReached),
    count('KeyUsable', report.key.usable ? 1 : 0),
    // Groups on a key in trouble, whatever this run did about them (reassociating does not save older events).
    count(
      'AtRiskGroups',
      report.keysInUse.reduce((n, k) => n + (k.groupsAtRisk ?? 0), 0),
    ),
    count('AtRiskKeys', report.keysInUse.filter((k) => (k.groupsAtRisk ?? 0) > 0).length),
    ...paceMetrics(report),
    {
      name: 'Duration',
      unit: 'Milliseconds',
      value: Date.parse(report.finishedAt) - Date.parse(report.startedAt),
    },
  ];
}

/**
 * The figures of a run for one new group: whether it was remediated and, if so, how long after
 * its creation (CloudTrail's eventTime) the key was associated. Failed and KeyUsable feed the
 * same alarm as the sweeps'.
 */
export function computeRealtimeMetrics(report: Report, eventTime: string): RunMetric[] {
  const t = report.totals;
  const metrics: RunMetric[] = [
    { name: 'RealtimeRemediated', unit: 'Count', value: t.remediated },
    { name: 'Failed', unit: 'Count', value: t.failed },
    { name: 'KeyUsable', unit: 'Count', value: report.key.usable ? 1 : 0 },
    ...paceMetrics(report),
  ];
  if (t.remediated > 0) {
    const latency = Date.parse(report.finishedAt) - Date.parse(eventTime);
    metrics.push({ name: 'RealtimeLatency', unit: 'Milliseconds', value: Math.max(0, latency) });
  }
  return metrics;
}

function paceMetrics(report: Report): RunMetric[] {
  if (!report.pace) return [];
  return [
    { name: 'AssociateTpsReached', unit: 'Count/Second', value: report.pace.associateTpsReached },
    { name: 'AssociateThrottles', unit: 'Count', value: report.pace.throttles },
  ];
}
