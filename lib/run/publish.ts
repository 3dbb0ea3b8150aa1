/**
 * Step 6: emit the run's metrics, then publish the report if the run's report mode asks for it.
 */
import { ReportPublishError } from '../core/errors';
import type { Ports } from '../core/ports';
import { renderSnsMessage, reportStatus, shouldPublish } from '../core/report';
import type { RunMetric } from '../core/run-metrics';
import type { Report, ReportWhen } from '../core/types';
import type { RunResult } from './run-context';

export async function publishReport(
  report: Report,
  when: ReportWhen,
  topicArn: string,
  ports: Ports,
  metrics: RunMetric[],
): Promise<RunResult> {
  const sns = renderSnsMessage(report);
  const status = reportStatus(report);
  ports.log.info('Run finished', { status, totals: report.totals, complete: report.complete });
  // Emitted before the publish, so the figures survive a failed one.
  ports.metrics.recordRun(metrics);
  if (!shouldPublish(report, when)) return { report: sns.report, published: false };
  try {
    await ports.reports.publishReport({
      topicArn,
      subject: sns.subject,
      message: sns.message,
      attributes: sns.attributes,
    });
  } catch (error) {
    // The associations already made stay in place; the full report goes to the logs so nothing is lost.
    ports.log.error('Report could not be published', { report, error });
    throw new ReportPublishError(`Could not publish the report to ${topicArn}`, { cause: error });
  }
  return { report: sns.report, published: true };
}
