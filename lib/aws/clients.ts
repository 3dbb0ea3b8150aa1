/**
 * Builds the SDK clients once per container. Endpoints come from the SDK's own resolution,
 * so the standard AWS_ENDPOINT_URL variable points them at an emulator.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';

export interface ClientOptions {
  region: string;
  /** Attempts per call, the first included. */
  maxAttempts: number;
}

export interface Clients {
  logs: CloudWatchLogsClient;
  kms: KMSClient;
  sns: SNSClient;
}

/** Error codes AWS documents as safe to retry that the SDK does not retry by itself. */
const EXTRA_RETRYABLE_CODES = new Set(['OperationAbortedException', 'ServiceUnavailableException']);

export function createClients(options: ClientOptions): Clients {
  // Adaptive mode adds client-side rate limiting on top of backoff: it slows down under throttling.
  const config = { region: options.region, maxAttempts: options.maxAttempts, retryMode: 'adaptive' } as const;
  const clients = {
    // CloudWatch Logs is paced by its adapter (DescribeLogGroups fixed, AssociateKmsKey adaptive). The SDK's
    // adaptive limiter would be a second controller on the same calls, one for the whole client, so an
    // AssociateKmsKey throttle would slow DescribeLogGroups too (the SDKs' "Retry behavior" page says as much).
    logs: new CloudWatchLogsClient({ ...config, retryMode: 'standard' }),
    kms: new KMSClient(config),
    sns: new SNSClient(config),
  };
  for (const client of Object.values(clients)) markExtraRetryable(client);
  return clients;
}

/** Any SDK v3 client: the cast below only reaches its middleware stack. */
type MiddlewareClient = { middlewareStack: object };

/**
 * CloudWatch Logs answers OperationAbortedException when concurrent changes collide;
 * the SDK treats it as final, so flag it retryable where the retry strategy will see it.
 */
export function markExtraRetryable(client: MiddlewareClient): void {
  (client as CloudWatchLogsClient).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const e = error as { name?: string; $retryable?: { throttling?: boolean } };
        if (e && typeof e === 'object' && e.name && EXTRA_RETRYABLE_CODES.has(e.name) && !e.$retryable) {
          e.$retryable = { throttling: false };
        }
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'markExtraRetryableErrors', priority: 'low' },
  );
}
