/**
 * SNS adapter: publishes the report.
 *
 * IAM: sns:Publish
 * The topic is encrypted with a customer-managed key, so a publisher also needs, on that key:
 * IAM: kms:GenerateDataKey
 * IAM: kms:Decrypt
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { FindingsPort, ReportsPort } from '../core/ports';
import { callAws } from './errors';

export function createReportsAdapter(client: SNSClient): ReportsPort {
  return {
    async publishReport({ topicArn, subject, message, attributes }) {
      await callAws('Publish', () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: subject,
            // One message, a rendering per protocol: text for email, JSON for queues and functions.
            MessageStructure: 'json',
            Message: message,
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([name, value]) => [
                name,
                { DataType: 'String', StringValue: value },
              ]),
            ),
          }),
        ),
      );
    },
  };
}

/** FindingsTopic: one plain JSON message, read by the findings function alone. */
export function createFindingsPublisher(client: SNSClient): FindingsPort {
  return {
    async publishFindings(topicArn, message) {
      await callAws('Publish', () =>
        client.send(new PublishCommand({ TopicArn: topicArn, Message: message })),
      );
    },
  };
}
