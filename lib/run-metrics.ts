/**
 * Pure: the figures each run emits as CloudWatch metrics. The alarms and the dashboard in
 * serverless.yml are built on these names; the template test holds them to this list.
 */
import type { Report } from './types';

export const METRICS_NAMESPACE = 'LogsKmsRemediator';

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
] as const;

export type RunMetricName = (typeof RUN_METRIC_NAMES)[number];

export interface RunMetric {
  name: RunMetricName;
  unit: 'Count' | 'Milliseconds';
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
    {
      name: 'Duration',
      unit: 'Milliseconds',
      value: Date.parse(report.finishedAt) - Date.parse(report.startedAt),
    },
  ];
}
