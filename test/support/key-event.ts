/** The sample CloudTrail DisableKey event (events/key-disabled.json), naming a given key, now. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const SAMPLE = path.resolve(__dirname, '..', '..', 'events', 'key-disabled.json');

export function keyDisabledEvent(keyArn: string, at = new Date()): Record<string, unknown> {
  const event = JSON.parse(readFileSync(SAMPLE, 'utf8'));
  // EventBridge's `time` has whole seconds; CloudTrail's eventTime is the call's.
  event.time = at.toISOString().replace(/\.\d+Z$/, 'Z');
  event.detail.eventTime = event.time;
  event.detail.requestParameters.keyId = keyArn;
  event.detail.responseElements.keyId = keyArn;
  event.detail.resources = [{ accountId: event.account, type: 'AWS::KMS::Key', ARN: keyArn }];
  return event;
}
