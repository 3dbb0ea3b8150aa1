/**
 * `npm run bench -- --key-event`: how soon after a key is disabled the security team hears which
 * log groups it takes with it. 10,000 groups, 1,000 of them on a key that is then disabled, the
 * emulator holding DescribeLogGroups to AWS's 5 calls/s; the bundled handler is invoked with the
 * CloudTrail DisableKey event (events/key-disabled.json, pointed at that key), as the key-events
 * rule invokes it (directly, or as the one invocation of a sweep of this size), at its default pacing.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DisableKeyCommand } from '@aws-sdk/client-kms';
import type { Emulator } from '../test/emulator/emulator';
import { createKey, createReportTopic, seedClients } from '../test/support/aws-seed';
import { keyDisabledEvent } from '../test/support/key-event';
import { DESCRIBE_QUOTA_TPS, runChild, type Target } from './bench-child';

const GROUPS = 10_000;
const ON_DISABLED_KEY = 1_000;

export async function runKeyEventBench(
  em: Emulator,
  bundlePath: string,
  envFor: (seeded: { keyArn: string; topicArn: string }) => NodeJS.ProcessEnv,
  targets: Target[],
): Promise<Record<string, unknown>> {
  await em.clearFaults();
  await em.reset();
  const aws = seedClients(em.endpoint);
  const keyArn = await createKey(aws.kms);
  const doomed = await createKey(aws.kms);
  const { topicArn } = await createReportTopic(aws);
  const groups = Array.from({ length: GROUPS }, (_, i) => ({
    name: `/bench/g${String(i).padStart(7, '0')}`,
    kmsKeyId: i % (GROUPS / ON_DISABLED_KEY) === 0 ? doomed : keyArn,
  }));
  await em.seedLogGroups({ groups });
  await aws.kms.send(new DisableKeyCommand({ KeyId: doomed }));
  await em.setFaults({ tpsLimits: { 'logs.DescribeLogGroups': DESCRIBE_QUOTA_TPS } });
  await em.resetRequestCounts();

  const eventFile = path.join(os.tmpdir(), `key-event-${process.pid}.json`);
  writeFileSync(eventFile, JSON.stringify(keyDisabledEvent(doomed)));
  console.log(
    `\n== Key event: DisableKey on a key of ${ON_DISABLED_KEY} of ${GROUPS} groups, DescribeLogGroups at ${DESCRIBE_QUOTA_TPS}/s`,
  );
  const run = await runChild('run-product.cjs', [bundlePath, '{}', eventFile], envFor({ keyArn, topicArn }));
  const requests = await em.requestCounts();
  await em.clearFaults();

  const floorMs = (Math.ceil(GROUPS / 50) / DESCRIBE_QUOTA_TPS) * 1000;
  const entry = run.keysInUse?.find((k) => k.arn === doomed);
  console.log(
    `  report after ${(run.ms / 1000).toFixed(1)} s (quota floor ${(floorMs / 1000).toFixed(1)} s): ` +
      `${entry?.groupsAtRisk ?? 0} groups at risk on ${doomed}; requests ${JSON.stringify(requests)}`,
  );
  targets.push(
    {
      name: `key event, N=${GROUPS}: every group on the disabled key reported at risk`,
      value: `${entry?.groupsAtRisk ?? 0} of ${ON_DISABLED_KEY}`,
      ok:
        entry?.verdict === 'at-risk' &&
        entry.groupsAtRisk === ON_DISABLED_KEY &&
        run.keyEvent?.keyId === doomed,
    },
    {
      name: `key event, N=${GROUPS}: report ≤ 1.15× the DescribeLogGroups quota floor`,
      value: `${(run.ms / 1000).toFixed(1)} s (${(run.ms / floorMs).toFixed(3)}×)`,
      ok: run.ms <= 1.15 * floorMs,
    },
    {
      name: `key event, N=${GROUPS}: no association (UNHEALTHY_KEYS=report)`,
      value: String(requests['logs.AssociateKmsKey'] ?? 0),
      ok: !requests['logs.AssociateKmsKey'],
    },
  );
  return {
    groups: GROUPS,
    onDisabledKey: ON_DISABLED_KEY,
    ms: run.ms,
    floorMs,
    requests,
    keysInUse: run.keysInUse,
  };
}
