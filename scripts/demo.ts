/**
 * `npm run demo`: the product's main job on the embedded emulator.
 * Starts moto, seeds a small account (RDS and Lambda log groups, some already encrypted,
 * one DELIVERY group, a key with a correct policy), subscribes a queue to the report topic,
 * then runs a dry run and a live run through `serverless invoke local`, prints both reports
 * as a person would read them, shows a new group encrypted on creation (real-time mode),
 * audits the keys groups already use when one of them is disabled (a CloudTrail DisableKey event),
 * has the operator CLI find a second key's broken policy and mend it (check-key, fix-key-policy),
 * checks the account, and stops the emulator.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DisableKeyCommand } from '@aws-sdk/client-kms';
import { renderText } from '../lib/core/report';
import { type Emulator, emulatorEnv, startEmulator } from '../test/emulator/emulator';
import {
  createGroups,
  createKey,
  createReportTopic,
  keyPolicy,
  readGroupKey,
  readGroupKeys,
  receiveReports,
  seedClients,
} from '../test/support/aws-seed';
import { keyDisabledEvent } from '../test/support/key-event';

const ROOT = path.resolve(__dirname, '..');

const UNENCRYPTED = [
  '/aws/rds/instance/orders-db/general',
  '/aws/rds/instance/orders-db/slowquery',
  '/aws/rds/instance/orders-db/error',
  '/aws/lambda/checkout-api',
  '/aws/lambda/image-resizer',
];
const ENCRYPTED = ['/aws/rds/instance/billing-db/error', '/aws/lambda/payments-worker'];
const DELIVERY = '/aws/vendedlogs/delivery/cloudfront-access';

async function main(): Promise<number> {
  step('Starting the emulator (moto server)');
  const em = await startEmulator();
  try {
    return await demo(em);
  } finally {
    await em.stop();
    step(`Emulator stopped (pid ${em.pid})`);
  }
}

async function demo(em: Emulator): Promise<number> {
  const aws = seedClients(em.endpoint);
  step(`Seeding a demo account at ${em.endpoint}`);
  const keyArn = await createKey(aws.kms, { alias: 'alias/logs-kms-remediator' });
  const topic = await createReportTopic(aws);
  await createGroups(aws.logs, UNENCRYPTED);
  await createGroups(aws.logs, ENCRYPTED, { kmsKeyId: keyArn });
  await createGroups(aws.logs, [DELIVERY], { logGroupClass: 'DELIVERY' });
  console.log(
    `  key ${keyArn} (alias/logs-kms-remediator), rotation on, policy allows logs.us-east-1.amazonaws.com`,
  );
  console.log(
    `  ${UNENCRYPTED.length} unencrypted groups, ${ENCRYPTED.length} encrypted, 1 DELIVERY-class group`,
  );
  console.log(`  report topic ${topic.topicArn}, with a queue subscribed`);

  for (const [title, eventFile] of [
    ['Dry run', 'events/dry-run.json'],
    ['Live run', 'events/scheduled.json'],
  ] as const) {
    step(`${title}: npx serverless invoke local -f remediate --stage local --path ${eventFile}`);
    invokeLocal(em, eventFile);
    const reports = await receiveReports(aws.sqs, topic.queueUrl);
    if (reports.length !== 1) throw new Error(`expected one report on the queue, got ${reports.length}`);
    const [received] = reports as [(typeof reports)[0]];
    console.log(`  SNS subject: ${received.subject}`);
    console.log(`  attributes: ${JSON.stringify(received.attributes)}\n`);
    console.log(indent(renderText(received.report)));
    if (title === 'Dry run') {
      const unchanged = [...(await readGroupKeys(aws.logs)).entries()].filter(([, k]) => !k).length;
      check(
        unchanged === UNENCRYPTED.length + 1,
        `the dry run changed nothing (${unchanged} groups still unencrypted)`,
      );
    }
  }

  // Real time: RDS creates a new log group; its CloudTrail event arrives seconds later.
  const created = '/aws/rds/instance/orders-db/audit';
  await createGroups(aws.logs, [created]);
  const eventFile = writeCreatedEvent(created);
  step(`Real time: RDS creates ${created}; its CloudTrail CreateLogGroup event is invoked locally`);
  console.log(
    `  npx serverless invoke local -f remediate --stage local --path ${path.relative(ROOT, eventFile)}`,
  );
  invokeLocal(em, eventFile);
  const newKey = await readGroupKey(aws.logs, created);
  check(newKey === keyArn, `${created} was encrypted on creation`);
  check(
    (await receiveReports(aws.sqs, topic.queueUrl)).length === 0,
    'no report was published: nothing needed a person',
  );

  if (!(await auditDisabledKey(em, topic.queueUrl))) return 1;
  if (!(await mendBrokenKey(em))) return 1;

  step('Final check of the account');
  const keys = await readGroupKeys(aws.logs);
  let ok = true;
  for (const name of [...UNENCRYPTED, ...ENCRYPTED])
    ok = check(keys.get(name) === keyArn, `${name} is encrypted`) && ok;
  ok = check(keys.get(DELIVERY) === undefined, `${DELIVERY} (DELIVERY class) was left alone`) && ok;
  console.log(ok ? '\nDemo succeeded.' : '\nDemo FAILED.');
  return ok ? 0 : 1;
}

/** A key a team's groups already use is disabled: its DisableKey event starts an audit run. */
async function auditDisabledKey(em: Emulator, queueUrl: string): Promise<boolean> {
  const aws = seedClients(em.endpoint);
  const legacy = await createKey(aws.kms, { alias: 'alias/legacy-billing' });
  const groups = ['/aws/lambda/legacy-billing', '/aws/lambda/legacy-invoices'];
  await createGroups(aws.logs, groups, { kmsKeyId: legacy });
  await aws.kms.send(new DisableKeyCommand({ KeyId: legacy }));
  const eventFile = writeKeyDisabledEvent(legacy);
  step('Key audit: someone disables alias/legacy-billing, the key of two encrypted groups');
  console.log(
    `  npx serverless invoke local -f remediate --stage local --path ${path.relative(ROOT, eventFile)}`,
  );
  invokeLocal(em, eventFile);
  const [received] = await receiveReports(aws.sqs, queueUrl);
  if (!received) return check(false, 'a report was published');
  const text = renderText(received.report);
  // The lead of the text: the keys at risk, before the totals.
  console.log(indent(text.slice(0, text.indexOf('\nScanned '))));
  const entry = received.report.keysInUse.find((k) => k.arn === legacy);
  const atRisk = received.report.groups.filter((g) => g.outcome === 'at-risk').map((g) => g.logGroupName);
  let ok = check(received.attributes.status === 'at-risk', `the report's status is at-risk`);
  ok = check(atRisk.sort().join() === groups.join(), `both groups are reported at risk`) && ok;
  return (
    check(entry?.fix?.commands[0]?.includes('enable-key') === true, 'the fix is aws kms enable-key') && ok
  );
}

/** The operator CLI on a second key whose policy lets only the account root in. */
async function mendBrokenKey(em: Emulator): Promise<boolean> {
  const aws = seedClients(em.endpoint);
  await createKey(aws.kms, { policy: keyPolicy(null), alias: 'alias/team-logs' });
  step('From a laptop: a third key, alias/team-logs, whose policy lets only the account root in');
  const found = runCli(em, ['check-key', '--key', 'alias/team-logs', '--group', '/aws/lambda/checkout-api']);
  let ok = check(found === 1, `check-key found the policy broken (exit ${found})`);
  const fixed = runCli(em, ['fix-key-policy', '--key', 'alias/team-logs', '--yes']);
  ok = check(fixed === 0, `fix-key-policy --yes mended it (exit ${fixed})`) && ok;
  const again = runCli(em, ['fix-key-policy', '--key', 'alias/team-logs', '--yes']);
  ok = check(again === 0, `a second fix-key-policy changed nothing (exit ${again})`) && ok;
  const now = runCli(em, ['check-key', '--key', 'alias/team-logs']);
  return check(now === 0, `check-key finds the key usable now (exit ${now})`) && ok;
}

/** `npm run cli -- <args>`, its text (stderr) shown indented; returns its exit code. */
function runCli(em: Emulator, args: string[]): number | null {
  console.log(`\n  $ npm run cli -- ${args.join(' ')}`);
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...emulatorEnv(em), NODE_NO_WARNINGS: '1', NO_COLOR: '1' },
    timeout: 60_000,
  });
  console.log(indent(result.stderr + result.stdout));
  return result.status;
}

function invokeLocal(em: Emulator, eventFile: string): void {
  const result = spawnSync(
    'npx',
    ['serverless', 'invoke', 'local', '-f', 'remediate', '--stage', 'local', '--path', eventFile],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...emulatorEnv(em), POWERTOOLS_LOG_LEVEL: 'WARN', SLS_TELEMETRY_DISABLED: '1' },
      timeout: 180_000,
    },
  );
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`serverless invoke local failed with status ${result.status}`);
  }
}

/** The sample RDS CreateLogGroup event, for `name` and now, in a file for `invoke local --path`. */
function writeCreatedEvent(name: string): string {
  const sample = JSON.parse(readFileSync(path.join(ROOT, 'events', 'create-log-group-rds.json'), 'utf8'));
  const event = {
    ...sample,
    detail: {
      ...sample.detail,
      eventTime: new Date().toISOString(),
      requestParameters: { logGroupName: name },
    },
  };
  const dir = path.join(ROOT, '.demo');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'create-log-group.json');
  writeFileSync(file, JSON.stringify(event, null, 2));
  return file;
}

/** The sample DisableKey event naming `keyArn`, in a file for `invoke local --path`. */
function writeKeyDisabledEvent(keyArn: string): string {
  const file = path.join(ROOT, '.demo', 'key-disabled.json');
  writeFileSync(file, JSON.stringify(keyDisabledEvent(keyArn), null, 2));
  return file;
}

function step(text: string): void {
  console.log(`\n== ${text}`);
}

function check(passed: boolean, text: string): boolean {
  console.log(`  ${passed ? '✓' : '✗'} ${text}`);
  return passed;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
