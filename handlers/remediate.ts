/**
 * Lambda entry point. Cold start: read the config, build the clients. Each invocation:
 * parse the event (before any AWS call), run the remediation, return the report.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createClients } from '../lib/aws/clients';
import { createKeysAdapter } from '../lib/aws/kms';
import { createLogGroupsAdapterFor } from '../lib/aws/log-groups';
import { createMetricsAdapter } from '../lib/aws/metrics-emf';
import { createFindingsPublisher, createReportsAdapter } from '../lib/aws/sns';
import { parseArn } from '../lib/core/arn';
import { type Env, loadConfig } from '../lib/core/config';
import { lookAtGroupsCreatedEncrypted, parseEvent } from '../lib/core/event';
import type { Ports } from '../lib/core/ports';
import { METRICS_NAMESPACE } from '../lib/core/run-metrics';
import type { Report } from '../lib/core/types';
import { createCachedKeys } from '../lib/run/key-cache';
import { runRemediation, type SweepContinuation } from '../lib/run/run-request';

const SERVICE_NAME = 'logs-kms-remediator';

/** Build a handler for an environment. Exported for tests; Lambda uses `handler` below. */
export function buildHandler(
  env: Env,
  logger = new Logger({ serviceName: SERVICE_NAME }),
  metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
) {
  const config = loadConfig(env);
  const clients = createClients({ region: config.region, maxAttempts: config.maxAttempts });
  const ports: Ports = {
    logGroups: createLogGroupsAdapterFor(clients.logs, config),
    keys: createKeysAdapter(clients.kms),
    reports: createReportsAdapter(clients.sns),
    // SECURITY_HUB=on: findings go to FindingsTopic, for the findings function to import.
    ...(config.securityHub ? { findings: createFindingsPublisher(clients.sns) } : {}),
    metrics: createMetricsAdapter(metrics),
    log: logger,
    now: () => new Date(),
  };

  // New-group events come in bursts: they share a short-lived memory of the key check.
  const portsForNewGroups: Ports = {
    ...ports,
    keys: createCachedKeys(ports.keys, config.keyCacheSeconds * 1000),
  };

  const run = async (
    event: unknown,
    context: Context,
  ): Promise<Report | SweepContinuation | IgnoredEvent> => {
    const request = lookAtGroupsCreatedEncrypted(parseEvent(event), config.otherKeys);
    if (request.ignored) {
      logger.info('Event ignored', { reason: request.ignored });
      return { ignored: request.ignored };
    }
    const runPorts = request.createdLogGroup ? portsForNewGroups : ports;
    const { report, continuation } = await runRemediation(config, request, runPorts, {
      runId: context.awsRequestId || randomUUID(),
      ...accountOf(context),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    // Step Functions loops while the answer carries a sweep to continue.
    return continuation ?? report;
  };

  return middy(run).use(injectLambdaContext(logger));
}

/** The answer to an event that asks for nothing, such as a CreateLogGroup call that failed. */
export interface IgnoredEvent {
  ignored: string;
}

/** The function's own account, from its ARN; outside Lambda the ARN may be a placeholder. */
function accountOf(context: Context): { account?: string } {
  const account = parseArn(context.invokedFunctionArn ?? '')?.account;
  return account && /^\d{12}$/.test(account) ? { account } : {};
}

export const handler = buildHandler(process.env);
