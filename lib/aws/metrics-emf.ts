/**
 * Metrics adapter: writes a run's figures as CloudWatch Embedded Metric Format through
 * Powertools Metrics. EMF goes to the function's log; no API call and no IAM action.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsPort } from '../core/ports';

export function createMetricsAdapter(metrics: Metrics): MetricsPort {
  return {
    recordRun(runMetrics) {
      for (const metric of runMetrics) metrics.addMetric(metric.name, metric.unit, metric.value);
      // Flushed now, not at the end of the invocation: the figures must survive a failed publish.
      metrics.publishStoredMetrics();
    },
  };
}
