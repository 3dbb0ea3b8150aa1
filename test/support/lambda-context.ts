import type { Context } from 'aws-lambda';
import { ACCOUNT, REGION } from './aws-seed';

/** A Lambda context as the runtime passes it; `remainingMs` drives deadline handling. */
export function lambdaContext(remainingMs: number | (() => number) = 300_000): Context {
  const remaining = typeof remainingMs === 'number' ? () => remainingMs : remainingMs;
  const functionName = 'logs-kms-remediator-test-remediate';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/30/[$LATEST]test',
    getRemainingTimeInMillis: remaining,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
