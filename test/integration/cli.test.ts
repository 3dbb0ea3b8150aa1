/**
 * The operator CLI end to end: each command run as a person runs it (a child process through tsx,
 * fake credentials and AWS_ENDPOINT_URL in its environment) against the emulator, whose key-policy
 * judge is independent of the product. A pseudo-terminal (util-linux `script`) stands in for a
 * terminal where one is needed: the progress bar, colour, the confirmation prompt.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssociateKmsKeyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { buildLogsPolicyStatement } from '../../lib/core/key-policy';
import type { Report } from '../../lib/core/types';
import { ACCOUNT, createGroups, createKey, keyPolicy, REGION, readGroupKeys } from '../support/aws-seed';
import { useEmulator } from '../support/emulator-harness';

const h = useEmulator();
const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const LOGS_STATEMENT = buildLogsPolicyStatement({ partition: 'aws', region: REGION, account: ACCOUNT });
/** The calls that change nothing; a dry run makes no other. */
const READ_ONLY = new Set([
  'kms.DescribeKey',
  'kms.GetKeyPolicy',
  'kms.GetKeyRotationStatus',
  'logs.DescribeLogGroups',
  'logs.ListTagsForResource',
]);
const AUDITOR = {
  Sid: 'AllowAuditorsToRead',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/auditor` },
  Action: ['kms:DescribeKey', 'kms:GetKeyPolicy'],
  Resource: '*',
};
const rootOnly = (...extra: object[]) => {
  const base = JSON.parse(keyPolicy(null)) as { Statement: object[] };
  return JSON.stringify({ ...base, Statement: [...base.Statement, ...extra] });
};

let cacheDir: string;
beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'cli-test-cache-'));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
beforeEach(async () => {
  await h.em.reset();
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The child's environment: the emulator's endpoint and fake credentials, and nothing of the function's key. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { KMS_KEY_ID: _key, ...env } = process.env;
  return { ...env, NODE_NO_WARNINGS: '1', LOGS_KMS_REMEDIATOR_CACHE_DIR: cacheDir, ...extra };
}

/** Run the CLI with no terminal: stdin, stdout and stderr are pipes. */
function cli(args: string[], extra: Record<string, string> = {}): Promise<Ran> {
  return collect(spawn(TSX, ['cli/main.ts', ...args], { cwd: ROOT, env: cliEnv(extra), stdio: 'pipe' }));
}

/** Run the CLI on a pseudo-terminal (stdin, stdout and stderr all on it), `input` typed at it. */
function cliOnTerminal(args: string[], input = '', extra: Record<string, string> = {}): Promise<Ran> {
  const command = [TSX, 'cli/main.ts', ...args].join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: cliEnv(extra),
    stdio: 'pipe',
  });
  child.stdin.end(input);
  return collect(child);
}

function collect(child: ReturnType<typeof spawn>): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const mutatingCalls = async () =>
  Object.entries(await h.em.requestCounts()).filter(([operation]) => !READ_ONLY.has(operation));
const policyOf = async (keyArn: string) =>
  JSON.parse(
    (await h.aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy ?? '{}',
  ) as { Statement: object[] };

describe('check-key', () => {
  it('finds a root-only key unusable, with the statement to add and the put-key-policy command (exit 1)', async () => {
    const keyArn = await createKey(h.aws.kms, { policy: rootOnly(), alias: 'alias/root-only' });
    await h.em.resetRequestCounts();

    const json = await cli([
      'check-key',
      '--key',
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/root-only`,
      '--json',
    ]);
    const text = await cli(['check-key', '--key', 'alias/root-only', '--group', '/app/orders']);

    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({
      ok: false,
      account: ACCOUNT,
      region: REGION,
      policyAccess: 'no-groups',
      key: { arn: keyArn, usable: false, keyManager: 'CUSTOMER', state: 'Enabled' },
      fix: { outcome: 'add-statement', statement: LOGS_STATEMENT },
    });
    expect(result.key.problems.map((p: { code: string }) => p.code)).toEqual(['KEY_POLICY_DENIES_LOGS']);
    expect(result.fix.command).toContain(`aws kms put-key-policy --region ${REGION} --key-id ${keyArn}`);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/Group \/app\/orders: denied/);
    expect(text.stderr).toContain(result.fix.command);
    expect(await mutatingCalls()).toEqual([]);
  });

  it('finds a key with the documented policy usable for every group and for a named one (exit 0)', async () => {
    await createKey(h.aws.kms, { alias: 'alias/good' });

    const ran = await cli(['check-key', '--key', 'alias/good', '--group', '/app/orders', '--json']);

    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({
      ok: true,
      policyAccess: 'all-groups',
      groups: [{ logGroupName: '/app/orders', allowed: true }],
      fix: { outcome: 'already-allowed' },
    });
  });

  it('colours its text on a terminal only, and never with NO_COLOR', async () => {
    await createKey(h.aws.kms, { policy: rootOnly(), alias: 'alias/root-only' });

    const coloured = await cliOnTerminal(['check-key', '--key', 'alias/root-only']);
    const plain = await cliOnTerminal(['check-key', '--key', 'alias/root-only'], '', { NO_COLOR: '1' });
    const piped = await cli(['check-key', '--key', 'alias/root-only']);

    expect(coloured.stdout).toContain('\u001b[31mNOT USABLE');
    expect(plain.stdout).toContain('NOT USABLE');
    expect(plain.stdout).not.toContain('\u001b[3');
    expect(piped.stderr).not.toContain('\u001b[');
  });
});

describe('fix-key-policy', () => {
  it('adds the logs statement, keeps the others, and CloudWatch Logs may then use the key', async () => {
    const keyArn = await createKey(h.aws.kms, { policy: rootOnly(AUDITOR), alias: 'alias/to-fix' });
    const before = await policyOf(keyArn);
    await createGroups(h.aws.logs, ['/app/orders']);

    const ran = await cli(['fix-key-policy', '--key', 'alias/to-fix', '--yes']);

    expect(ran.code).toBe(0);
    expect(ran.stderr).toMatch(/^\+ {7}"Sid": "AllowCloudWatchLogsForLogGroupsInThisAccount",$/m);
    expect(ran.stderr).toContain('CloudWatch Logs may now use the key for every log group of the account.');
    const after = await policyOf(keyArn);
    expect(after.Statement).toEqual([...before.Statement, LOGS_STATEMENT]);
    // The emulator's own judge lets CloudWatch Logs in now.
    await h.aws.logs.send(new AssociateKmsKeyCommand({ logGroupName: '/app/orders', kmsKeyId: keyArn }));
    expect((await readGroupKeys(h.aws.logs)).get('/app/orders')).toBe(keyArn);
  });

  it('changes nothing the second time: no PutKeyPolicy call (exit 0)', async () => {
    const keyArn = await createKey(h.aws.kms, { policy: rootOnly(AUDITOR), alias: 'alias/to-fix' });
    expect((await cli(['fix-key-policy', '--key', 'alias/to-fix', '--yes'])).code).toBe(0);
    const fixed = await policyOf(keyArn);
    await h.em.resetRequestCounts();

    const again = await cli(['fix-key-policy', '--key', 'alias/to-fix', '--yes', '--json']);

    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, fix: { outcome: 'already-allowed' } });
    expect(await mutatingCalls()).toEqual([]);
    expect(await policyOf(keyArn)).toEqual(fixed);
  });

  it('without --yes and with no terminal, shows the diff, changes nothing and exits 3', async () => {
    const keyArn = await createKey(h.aws.kms, { policy: rootOnly(), alias: 'alias/to-fix' });
    const before = await policyOf(keyArn);
    await h.em.resetRequestCounts();

    const ran = await cli(['fix-key-policy', '--key', 'alias/to-fix']);

    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain('run again with --yes');
    expect(ran.stderr).toMatch(/^\+ .*AllowCloudWatchLogsForLogGroupsInThisAccount/m);
    expect(await mutatingCalls()).toEqual([]);
    expect(await policyOf(keyArn)).toEqual(before);
  });

  it.each([
    ['no', 'n\n', 3],
    ['yes', 'y\n', 0],
  ])('asks on a terminal, and does as told (%s)', async (_answer, input, code) => {
    const keyArn = await createKey(h.aws.kms, { policy: rootOnly(), alias: 'alias/to-fix' });

    const ran = await cliOnTerminal(['fix-key-policy', '--key', 'alias/to-fix'], input);

    expect(ran.stdout).toContain(`Put this key policy on ${keyArn}? [y/N]`);
    expect(ran.code).toBe(code);
    expect((await policyOf(keyArn)).Statement).toHaveLength(code === 0 ? 2 : 1);
  });

  it('names the Deny that keeps CloudWatch Logs out, puts nothing and does not claim success', async () => {
    const deny = {
      Sid: 'DenyCloudWatchLogs',
      Effect: 'Deny',
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Action: 'kms:*',
      Resource: '*',
    };
    const keyArn = await createKey(h.aws.kms, { policy: rootOnly(deny), alias: 'alias/denied' });
    await h.em.resetRequestCounts();

    const ran = await cli(['fix-key-policy', '--key', 'alias/denied', '--yes']);

    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('the Deny statement DenyCloudWatchLogs keeps CloudWatch Logs out');
    expect(ran.stderr).not.toContain('may now use the key');
    expect(await mutatingCalls()).toEqual([]);
    expect((await policyOf(keyArn)).Statement).toHaveLength(2);
  });
});

describe('plan and apply', () => {
  const GROUPS = ['/app/a', '/app/b', '/aws/lambda/c'];

  it('plan reports what apply would do, with zero mutating calls', async () => {
    const keyArn = await createKey(h.aws.kms);
    await createGroups(h.aws.logs, GROUPS);
    await h.em.resetRequestCounts();

    const ran = await cli(['plan', '--key', keyArn, '--json']);

    expect(ran.code).toBe(0);
    const report = JSON.parse(ran.stdout) as Report;
    expect(report).toMatchObject({ schemaVersion: 2, dryRun: true, complete: true, account: ACCOUNT });
    expect(report.totals).toMatchObject({ scanned: 3, wouldRemediate: 3, remediated: 0 });
    expect(await mutatingCalls()).toEqual([]);
    expect([...(await readGroupKeys(h.aws.logs)).values()]).toEqual([undefined, undefined, undefined]);
  });

  it('apply --yes encrypts the groups of the prefix, at most --max, with the same report', async () => {
    const keyArn = await createKey(h.aws.kms, { alias: 'alias/logs' });
    await createGroups(h.aws.logs, GROUPS);

    const ran = await cli(['apply', '--key', 'alias/logs', '--prefix', '/app/', '--max', '1', '--yes']);
    const rest = await cli(['apply', '--key', 'alias/logs', '--yes', '--json']);

    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(/Scanned 2 log groups: 0 already encrypted, 1 remediated/);
    expect(rest.code).toBe(0);
    expect((JSON.parse(rest.stdout) as Report).totals).toMatchObject({ alreadyEncrypted: 1, remediated: 2 });
    expect(Object.fromEntries(await readGroupKeys(h.aws.logs))).toEqual({
      '/app/a': keyArn,
      '/app/b': keyArn,
      '/aws/lambda/c': keyArn,
    });
  });

  it('apply without --yes and with no terminal calls nothing at all (exit 3)', async () => {
    const keyArn = await createKey(h.aws.kms);
    await createGroups(h.aws.logs, GROUPS);
    await h.em.resetRequestCounts();

    const ran = await cli(['apply', '--key', keyArn]);

    expect(ran.code).toBe(3);
    expect(await h.em.requestCounts()).toEqual({});
  });
});

describe('bad flags', () => {
  it.each([
    [['check-key', '--key', 'my-key'], "option '--key'"],
    [['check-key'], "option '--key'"],
    [['check-key', '--key', 'alias/x', '--region', 'moon-1'], "option '--region'"],
    [['check-key', '--key', 'alias/x', '--group', 'has space'], "option '--group'"],
    [['plan', '--key', 'alias/x', '--prefix', 'bad prefix!'], "option '--prefix'"],
    [['apply', '--key', 'alias/x', '--max', '0', '--yes'], "option '--max'"],
    [['apply', '--key', 'alias/x', '--maxx', '3'], "unknown option '--maxx'"],
    [['encrypt-everything'], "unknown command 'encrypt-everything'"],
  ])('refuse %j naming the flag, exit 2, no AWS call', async (args, message) => {
    await h.em.resetRequestCounts();

    const ran = await cli(args);

    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 2, stdout: '' });
    expect(ran.stderr).toContain(message);
    expect(await h.em.requestCounts()).toEqual({});
  });

  it('gives every command --help with an example', async () => {
    for (const command of ['check-key', 'fix-key-policy', 'plan', 'apply']) {
      const ran = await cli([command, '--help']);
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(new RegExp(`Example:\\n {2}\\$ logs-kms-remediator ${command} --key `));
    }
  });
});

describe('the progress display', () => {
  it('shows groups scanned, decided and changed with the rate on a terminal, then an ETA once the size is known', async () => {
    const keyArn = await createKey(h.aws.kms);
    await h.em.seedLogGroups({
      generate: { prefix: '/progress/g', count: 240, kmsKeyId: keyArn, unencryptedEvery: 4 },
    });

    // A cache of its own: the ETA comes from the last complete scan of the same account, region and prefix.
    const own = { LOGS_KMS_REMEDIATOR_CACHE_DIR: join(cacheDir, 'progress') };
    const first = await cliOnTerminal(['plan', '--key', keyArn], '', own);
    const second = await cliOnTerminal(['plan', '--key', keyArn], '', own);

    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /scanned 240 \| decided 240 \| would change 60 \| [\d.]+ groups\/s \| ETA unknown/,
    );
    expect(second.stdout).toMatch(
      /100% \| scanned 240 \| decided 240 \| would change 60 \| [\d.]+ groups\/s \| ETA \d+s/,
    );
  });

  it('shows none with no terminal, nor with --json on one', async () => {
    const keyArn = await createKey(h.aws.kms);
    await h.em.seedLogGroups({ generate: { prefix: '/progress/g', count: 60 } });

    const piped = await cli(['plan', '--key', keyArn]);
    const json = await cliOnTerminal(['plan', '--key', keyArn, '--json']);

    expect(piped.stderr).toContain('Scanned 60 log groups');
    expect(piped.stderr).not.toContain('groups/s');
    expect(json.code).toBe(0);
    expect(json.stdout).toContain('"wouldRemediate": 60');
    expect(json.stdout).not.toContain('groups/s');
  });
});
