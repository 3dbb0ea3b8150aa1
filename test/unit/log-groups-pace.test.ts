/**
 * The adapter's pace over the whole SDK stack (a fake HTTP handler, not a stubbed `send`): every
 * attempt goes through the pace, and throttles the SDK retries by itself are seen and counted.
 */
import { Readable } from 'node:stream';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { HttpResponse } from '@smithy/core/transport';
import { createLogGroupsAdapter } from '../../lib/aws/log-groups';
import { createAdaptivePacer } from '../../lib/run/pacer';

type Answer = { status: number; type?: string };

/** A client whose HTTP handler answers from a script, one answer per attempt, and records each. */
function scriptedClient(script: Answer[]) {
  const attempts: string[] = [];
  const client = new CloudWatchLogsClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 5,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        attempts.push(request.headers['x-amz-target'] ?? '');
        const answer = script.shift() ?? { status: 200 };
        const body = answer.type ? JSON.stringify({ __type: answer.type, message: 'Rate exceeded' }) : '{}';
        return {
          response: new HttpResponse({
            statusCode: answer.status,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: Readable.from([Buffer.from(body)]),
          }),
        };
      },
    },
  });
  return { client, attempts };
}

describe('the log groups adapter and its AssociateKmsKey pace', () => {
  it.each([
    ['ThrottlingException', { status: 400, type: 'ThrottlingException' }],
    ['HTTP 429', { status: 429, type: 'SomethingElse' }],
  ])(
    'counts each throttled attempt (%s), the ones the SDK retried included',
    async (_label, throttle) => {
      const { client, attempts } = scriptedClient([throttle, throttle, { status: 200 }]);
      const pacer = createAdaptivePacer({ startTps: 1000, maxTps: 1000 });
      const adapter = createLogGroupsAdapter(client, { associatePacer: pacer });

      await adapter.associateKmsKey('/a', 'arn:aws:kms:us-east-1:123456789012:key/k');

      expect(attempts).toEqual(Array(3).fill('Logs_20140328.AssociateKmsKey'));
      expect(adapter.readPace?.()).toEqual({ associateTpsReached: 1000, throttles: 2 });
      expect(adapter.readPace?.()).toEqual({ associateTpsReached: 0, throttles: 0 });
    },
    20_000,
  );

  it('does not count other errors as throttles, nor throttles of other operations', async () => {
    const { client } = scriptedClient([
      { status: 400, type: 'InvalidParameterException' },
      { status: 400, type: 'ThrottlingException' },
    ]);
    const adapter = createLogGroupsAdapter(client, { associateTps: 5 });

    await expect(adapter.associateKmsKey('/a', 'arn:aws:kms:us-east-1:123456789012:key/k')).rejects.toThrow();
    await adapter.listTags('arn:aws:logs:us-east-1:123456789012:log-group:/a');

    expect(adapter.readPace?.()).toEqual({ associateTpsReached: 5, throttles: 0 });
  }, 20_000);

  it('cuts the shared pace on a throttle: adapters built with the same pacer learn together', async () => {
    const pacer = createAdaptivePacer({ startTps: 1000, maxTps: 1000 });
    const first = scriptedClient([{ status: 400, type: 'ThrottlingException' }]);
    const second = scriptedClient([]);
    const sweep = createLogGroupsAdapter(first.client, { associatePacer: pacer });
    const cli = createLogGroupsAdapter(second.client, { associatePacer: pacer });

    await sweep.associateKmsKey('/a', 'arn:aws:kms:us-east-1:123456789012:key/k');

    expect(pacer.rate()).toBeLessThan(1000);
    const learned = pacer.rate();
    await cli.associateKmsKey('/b', 'arn:aws:kms:us-east-1:123456789012:key/k');
    expect(pacer.rate()).toBeGreaterThan(learned);
    expect(pacer.rate()).toBeLessThan(1000);
  }, 20_000);
});
