/**
 * Lambda entry point of the findings function: FindingsTopic (SNS) delivers the remediator's
 * findings, one message a record; each is imported into Security Hub (lib/run/import-findings.ts).
 * Packaged on its own (package.individually): the Security Hub client stays out of the
 * remediator's zip. A message that is not one of ours is logged and dropped, changing nothing.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { createMetricsAdapter } from '../lib/aws/metrics-emf';
import { createSecurityHubAdapter, createSecurityHubClient } from '../lib/aws/security-hub';
import { createReportsAdapter } from '../lib/aws/sns';
import { type Env, loadFindingsConfig } from '../lib/core/config';
import { EventError } from '../lib/core/errors';
import { parseFindingsMessage } from '../lib/core/findings-message';
import { METRICS_NAMESPACE } from '../lib/core/run-metrics';
import { createFindingsImporter, type HandledMessage } from '../lib/run/import-findings';

const SERVICE_NAME = 'logs-kms-remediator';

/** Build a handler for an environment. Exported for tests; Lambda uses `handler` below. */
export function buildFindingsHandler(
  env: Env,
  logger = new Logger({ serviceName: SERVICE_NAME }),
  metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
) {
  const config = loadFindingsConfig(env);
  const options = { region: config.region, maxAttempts: config.maxAttempts };
  const importer = createFindingsImporter(config, {
    hub: createSecurityHubAdapter(createSecurityHubClient(options)),
    reports: createReportsAdapter(new SNSClient({ ...options, retryMode: 'adaptive' })),
    metrics: createMetricsAdapter(metrics),
    log: logger,
  });

  const run = async (event: SNSEvent): Promise<HandledMessage[]> => {
    const handled: HandledMessage[] = [];
    for (const record of event.Records ?? []) {
      try {
        handled.push(await importer.handle(parseFindingsMessage(record.Sns?.Message ?? '')));
      } catch (error) {
        if (!(error instanceof EventError)) throw error;
        logger.error('Not a findings message; dropped', {
          error: error.message,
          messageId: record.Sns?.MessageId,
        });
      }
    }
    return handled;
  };
  return middy(run).use(injectLambdaContext(logger));
}

export const handler = buildFindingsHandler(process.env);
