/**
 * Lambda entry point. Cold start: read the config, build the clients. Each invocation:
 * parse the event (before any AWS call), run the remediation, return the report.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseArn } from '../lib/arn';
import { createClients } from '../lib/aws/clients';
import { createKeysAdapter } from '../lib/aws/kms';
import { createLogGroupsAdapter } from '../lib/aws/log-groups';
import { createReportsAdapter } from '../lib/aws/sns';
import { type Env, loadConfig } from '../lib/config';
import { parseEvent } from '../lib/event';
import type { Ports } from '../lib/ports';
import { runRemediation } from '../lib/remediate';
import type { Report } from '../lib/types';

/** Build a handler for an environment. Exported for tests; Lambda uses `handler` below. */
export function buildHandler(env: Env, logger = new Logger({ serviceName: 'logs-kms-remediator' })) {
  const config = loadConfig(env);
  const clients = createClients({ region: config.region, maxAttempts: config.maxAttempts });
  const ports: Ports = {
    logGroups: createLogGroupsAdapter(clients.logs),
    keys: createKeysAdapter(clients.kms),
    reports: createReportsAdapter(clients.sns),
    log: logger,
    now: () => new Date(),
  };

  const run = async (event: unknown, context: Context): Promise<Report> => {
    const request = parseEvent(event);
    const { report } = await runRemediation(config, request, ports, {
      runId: context.awsRequestId || randomUUID(),
      ...accountOf(context),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    return report;
  };

  return middy(run).use(injectLambdaContext(logger));
}

/** The function's own account, from its ARN; outside Lambda the ARN may be a placeholder. */
function accountOf(context: Context): { account?: string } {
  const account = parseArn(context.invokedFunctionArn ?? '')?.account;
  return account && /^\d{12}$/.test(account) ? { account } : {};
}

export const handler = buildHandler(process.env);
