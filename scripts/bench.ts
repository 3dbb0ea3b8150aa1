/**
 * `npm run bench`: the product against the emulator at scale, with figures, not timed tests.
 *
 *   npm run bench                                   # N=10,000/U=1,000 and N=100,000/U=5,000
 *   npm run bench -- --sizes 20000:2000 --quota on --pairs 5 --associate-tps 5
 *   npm run bench -- --sweep 1000000 [--sweep-budget 20]   # one whole sweep instead (scripts/bench-sweep.ts)
 *   npm run bench -- --key-event                    # only the key event case (scripts/bench-key-event.ts)
 *   npm run bench -- --pace                         # only the adaptive AssociateKmsKey pace (scripts/bench-pace.ts)
 *   npm run bench -- --findings [N:U]               # only the Security Hub calls (scripts/bench-findings.ts)
 *
 * For each size it seeds N log groups (U unencrypted, spread evenly), runs the bundled handler
 * that `serverless package` makes in a process of its own, and compares it with the floor: the
 * bare SDK making only the necessary calls. API requests are counted by the emulator. With quota
 * emulation on, the emulator holds DescribeLogGroups to 5 requests/s and AssociateKmsKey to R/s,
 * and the product runs with its default pacing. Results go to bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Emulator, emulatorEnv, startEmulator } from '../test/emulator/emulator';
import { createKey, createReportTopic, seedClients } from '../test/support/aws-seed';
import { packageStack } from '../test/support/package-stack';
import { unzip } from '../test/support/zip';
import { type ChildResult, DESCRIBE_QUOTA_TPS, runChild, type Target } from './bench-child';
import { runFindingsBench } from './bench-findings';
import { runKeyEventBench } from './bench-key-event';
import { type PaceBenchDeps, runPaceBench } from './bench-pace';
import { parseSweepSize, runSweepBench } from './bench-sweep';

const ROOT = path.resolve(__dirname, '..');
const CONCURRENCY = 4;

interface Options {
  sizes: { n: number; u: number }[];
  /** CreateLogGroup events in the real-time burst case (0: none). */
  burst: number;
  quota: 'off' | 'on' | 'both';
  quotaMaxN: number;
  pairs: number;
  associateTps: number;
  /** `--sweep N[:U]`: run one whole sweep of N groups through the state machine, and nothing else. */
  sweep?: { n: number; u: number };
  /** `--sweep-budget S`: seconds of work per invocation of the sweep. */
  sweepBudgetSeconds: number;
  /** `--key-event`: only the key-event case. */
  keyEventOnly: boolean;
  /** `--pace`: run the adaptive pace's figures (scripts/bench-pace.ts), and nothing else. */
  pace: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    sizes: [
      { n: 10_000, u: 1_000 },
      { n: 100_000, u: 5_000 },
    ],
    burst: 1_000,
    quota: 'both',
    quotaMaxN: 10_000,
    pairs: 3,
    associateTps: 5,
    sweepBudgetSeconds: 20,
    keyEventOnly: false,
    pace: false,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value = ''] = [argv[i], argv[i + 1]];
    if (flag === '--key-event') {
      options.keyEventOnly = true;
      i--;
    } else if (flag === '--pace') {
      options.pace = true;
      i--;
    } else if (flag === '--sizes') {
      options.sizes = value.split(',').map((pair) => {
        const [n, u] = pair.split(':').map(Number);
        if (!Number.isSafeInteger(n) || !Number.isSafeInteger(u) || !n || u === undefined || u > n) {
          throw new Error(`--sizes: expected N:U pairs with U ≤ N, got ${pair}`);
        }
        return { n: n as number, u };
      });
    } else if (flag === '--quota' && ['off', 'on', 'both'].includes(value)) {
      options.quota = value as Options['quota'];
    } else if (flag === '--burst') options.burst = Number(value);
    else if (flag === '--quota-max-n') options.quotaMaxN = Number(value);
    else if (flag === '--pairs') options.pairs = Number(value);
    else if (flag === '--associate-tps') options.associateTps = Number(value);
    else if (flag === '--sweep') options.sweep = parseSweepSize(value);
    else if (flag === '--sweep-budget' && Number(value) > 0) options.sweepBudgetSeconds = Number(value);
    else throw new Error(`unknown option ${flag} ${value}`);
  }
  return options;
}

/** Keys other than the target that the encrypted groups are spread over, for the key audit to read. */
const AUDITED_KEYS = 10;

/**
 * Every i with floor((i+1)·U/N) > floor(i·U/N): exactly U groups, evenly spread. The others are
 * encrypted, in turn with the target key and each of `otherKeys`.
 */
function groupsFor(n: number, u: number, keyArn: string, otherKeys: readonly string[] = []) {
  const keys = [keyArn, ...otherKeys];
  return Array.from({ length: n }, (_, i) => {
    const name = `/bench/g${String(i).padStart(7, '0')}`;
    const unencrypted = Math.floor(((i + 1) * u) / n) > Math.floor((i * u) / n);
    return unencrypted ? { name } : { name, kmsKeyId: keys[i % keys.length] as string };
  });
}

interface Seeded {
  keyArn: string;
  topicArn: string;
}

async function seedAccount(em: Emulator, n: number, u: number, tags = false): Promise<Seeded> {
  await em.clearFaults();
  await em.reset();
  const aws = seedClients(em.endpoint);
  const keyArn = await createKey(aws.kms);
  const otherKeys: string[] = [];
  for (let k = 0; k < Math.min(AUDITED_KEYS, n - u); k++) otherKeys.push(await createKey(aws.kms));
  const { topicArn } = await createReportTopic(aws);
  const groups = groupsFor(n, u, keyArn, otherKeys).map((g, i) =>
    tags && i % 2 ? { ...g, tags: { team: 'bench' } } : g,
  );
  for (let i = 0; i < groups.length; i += 20_000) {
    await em.seedLogGroups({ groups: groups.slice(i, i + 20_000) });
  }
  await em.resetRequestCounts();
  return { keyArn, topicArn };
}

function productEnv(em: Emulator, seeded: Seeded, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...emulatorEnv(em),
    KMS_KEY_ID: seeded.keyArn,
    REPORT_TOPIC_ARN: seeded.topicArn,
    REPORT_WHEN: 'always',
    ASSOCIATE_CONCURRENCY: String(CONCURRENCY),
    POWERTOOLS_SERVICE_NAME: 'logs-kms-remediator',
    POWERTOOLS_METRICS_NAMESPACE: 'LogsKmsRemediator',
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    ...extra,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mark = (ok: boolean) => (ok ? '✓' : '✗');

async function main(): Promise<number> {
  const findingsAt = process.argv.indexOf('--findings');
  if (findingsAt !== -1) return runFindingsBench(process.argv.slice(findingsAt + 1));
  const options = parseOptions(process.argv.slice(2));
  const work = mkdtempSync(path.join(os.tmpdir(), 'lkr-bench-'));
  const targets: Target[] = [];
  const results: Record<string, unknown> = {
    machine: machineOf(),
    options,
    startedAt: new Date().toISOString(),
    sizes: [] as unknown[],
  };

  console.log('Packaging the function (serverless package)...');
  const packaged = await packageStack(work, 'bench');
  const bundle = unzip(packaged.zip).get('handlers/remediate.js');
  if (!bundle) throw new Error('the package has no handlers/remediate.js');
  const bundleDir = path.join(work, 'bundle');
  mkdirSync(bundleDir);
  const bundlePath = path.join(bundleDir, 'remediate.js');
  writeFileSync(bundlePath, bundle);
  const { sweep } = options;
  if (sweep) {
    return runAlone('sweep', work, (em, targets) =>
      runSweepBench(
        em,
        bundlePath,
        packaged.template,
        { ...sweep, budgetSeconds: options.sweepBudgetSeconds, associateTps: options.associateTps },
        (seeded) => productEnv(em, seeded, { DESCRIBE_LOG_GROUPS_TPS: '0', ASSOCIATE_TPS: '0' }),
        targets,
      ),
    );
  }
  if (options.pace)
    return runAlone('pace', work, (em, targets) => runPaceBench(em, paceDeps(em, bundlePath), targets));
  if (options.keyEventOnly)
    return runAlone('key-event', work, (em, targets) => runKeyEvent(em, bundlePath, targets));
  const coldStart = measureColdStart(bundlePath, packaged.zip.length);
  results.coldStart = coldStart;
  targets.push(
    {
      name: 'zip ≤ 250 KB',
      value: `${(coldStart.zipBytes / 1024).toFixed(1)} KB`,
      ok: coldStart.zipBytes <= 250 * 1024,
    },
    {
      name: 'module load ≤ 150 ms',
      value: `${coldStart.loadMsMedian.toFixed(1)} ms`,
      ok: coldStart.loadMsMedian <= 150,
    },
  );

  const em = await startEmulator();
  try {
    for (const { n, u } of options.sizes) {
      const size: Record<string, unknown> = { n, u };
      (results.sizes as unknown[]).push(size);
      const pages = Math.max(1, Math.ceil(n / 50));
      const pairs = n >= 100_000 ? Math.min(options.pairs, 1) : options.pairs;
      console.log(
        `\n== N=${n.toLocaleString()}, U=${u.toLocaleString()}: ${pairs} product/floor pair(s), quota emulation off`,
      );

      if (options.quota !== 'on') {
        const pairResults: { product: ChildResult; floor: ChildResult; requests: Record<string, number> }[] =
          [];
        for (let p = 0; p < pairs; p++) {
          let seeded = await seedAccount(em, n, u);
          const product = await runChild(
            'run-product.cjs',
            [bundlePath, '{}'],
            productEnv(em, seeded, { DESCRIBE_LOG_GROUPS_TPS: '0', ASSOCIATE_TPS: '0' }),
          );
          const requests = await em.requestCounts();
          seeded = await seedAccount(em, n, u);
          const floor = await runChild('run-floor.cjs', [seeded.keyArn, String(CONCURRENCY)], {
            PATH: process.env.PATH,
            ...emulatorEnv(em),
          });
          pairResults.push({ product, floor, requests });
          console.log(
            `  pair ${p + 1}: product ${seconds(product.ms)} s, floor ${seconds(floor.ms)} s, ratio ${(product.ms / floor.ms).toFixed(3)}, peak RSS ${(product.maxRssKb / 1024).toFixed(0)} MB`,
          );
        }
        const ratio = median(pairResults.map((r) => r.product.ms / r.floor.ms));
        const last = pairResults[pairResults.length - 1] as (typeof pairResults)[number];
        const requests = last.requests;
        const kms =
          (requests['kms.DescribeKey'] ?? 0) +
          (requests['kms.GetKeyPolicy'] ?? 0) +
          (requests['kms.GetKeyRotationStatus'] ?? 0);
        // The target's three calls, and the audit's for each other key the groups are on.
        const audited = Math.min(AUDITED_KEYS, n - u);
        const auditCalls = kms - 3;
        const peakRssMb = Math.max(...pairResults.map((r) => r.product.maxRssKb)) / 1024;
        Object.assign(size, {
          productMs: pairResults.map((r) => r.product.ms),
          floorMs: pairResults.map((r) => r.floor.ms),
          ratioMedian: ratio,
          requests,
          peakRssMb,
          totals: last.product.totals,
        });
        printRequests(requests);
        targets.push(
          {
            name: `N=${n}: DescribeLogGroups = ceil(N/50) = ${pages}`,
            value: String(requests['logs.DescribeLogGroups'] ?? 0),
            ok: requests['logs.DescribeLogGroups'] === pages,
          },
          {
            name: `N=${n}: AssociateKmsKey = U = ${u}`,
            value: String(requests['logs.AssociateKmsKey'] ?? 0),
            ok: (requests['logs.AssociateKmsKey'] ?? 0) === u,
          },
          {
            name: `N=${n}: KMS calls ≤ 3 for the target + ≤ 2 per audited key (${audited} keys)`,
            value: `${kms} (audit: ${auditCalls}, ${(auditCalls / Math.max(1, audited)).toFixed(1)} per key)`,
            ok: kms <= 3 + 2 * audited && requests['kms.GetKeyRotationStatus'] === 1,
          },
          {
            name: `N=${n}: SNS Publish = 1`,
            value: String(requests['sns.Publish'] ?? 0),
            ok: requests['sns.Publish'] === 1,
          },
          {
            name: `N=${n}: no tag look-ups without EXCLUDE_TAG`,
            value: String(requests['logs.ListTagsForResource'] ?? 0),
            ok: !requests['logs.ListTagsForResource'],
          },
        );
        if (n === 10_000)
          targets.push({
            name: 'N=10,000: wall time ≤ 1.2× floor (median of pairs)',
            value: `${ratio.toFixed(3)}×`,
            ok: ratio <= 1.2,
          });
        if (n >= 100_000)
          targets.push({
            name: `N=${n}: peak RSS ≤ 150 MB`,
            value: `${peakRssMb.toFixed(0)} MB`,
            ok: peakRssMb <= 150,
          });

        if (n <= 10_000) {
          const seeded = await seedAccount(em, n, u, true);
          await runChild(
            'run-product.cjs',
            [bundlePath, '{}'],
            productEnv(em, seeded, {
              DESCRIBE_LOG_GROUPS_TPS: '0',
              ASSOCIATE_TPS: '0',
              EXCLUDE_TAG: 'team=bench',
            }),
          );
          const tagRequests = await em.requestCounts();
          size.excludeTagRequests = tagRequests;
          targets.push({
            name: `N=${n}: with EXCLUDE_TAG, one tag look-up per group that would change (${u})`,
            value: String(tagRequests['logs.ListTagsForResource'] ?? 0),
            ok: tagRequests['logs.ListTagsForResource'] === u,
          });
        }
      }

      if (options.quota !== 'off' && n <= options.quotaMaxN) {
        const r = options.associateTps;
        const quotaFloorMs = Math.max(pages / DESCRIBE_QUOTA_TPS, u / r) * 1000;
        console.log(
          `  quota emulation on: DescribeLogGroups ${DESCRIBE_QUOTA_TPS}/s, AssociateKmsKey ${r}/s; quota floor ${seconds(quotaFloorMs)} s`,
        );
        const seeded = await seedAccount(em, n, u);
        await em.setFaults({
          tpsLimits: { 'logs.DescribeLogGroups': DESCRIBE_QUOTA_TPS, 'logs.AssociateKmsKey': r },
        });
        const product = await runChild(
          'run-product.cjs',
          [bundlePath, '{}'],
          productEnv(em, seeded, {
            DESCRIBE_LOG_GROUPS_TPS: String(DESCRIBE_QUOTA_TPS),
            ASSOCIATE_TPS: String(r),
          }),
        );
        const stats = await em.stats();
        await em.clearFaults();
        const ratio = product.ms / quotaFloorMs;
        size.quota = {
          productMs: product.ms,
          quotaFloorMs,
          ratio,
          requests: stats.requests,
          faults: stats.faults,
          totals: product.totals,
        };
        console.log(
          `  product ${seconds(product.ms)} s = ${ratio.toFixed(3)}× the quota floor; throttled: ${JSON.stringify(stats.faults)}`,
        );
        targets.push(
          { name: `N=${n} with quotas: ≤ 1.1× quota floor`, value: `${ratio.toFixed(3)}×`, ok: ratio <= 1.1 },
          {
            name: `N=${n} with quotas: 0 groups failed`,
            value: String(product.totals?.failed ?? '?'),
            ok: product.totals?.failed === 0,
          },
        );
      }
    }
    if (options.burst > 0) {
      results.burst = await runBurst(em, bundlePath, options, targets);
    }
    results.keyEvent = await runKeyEvent(em, bundlePath, targets);
  } finally {
    await em.stop();
    rmSync(work, { recursive: true, force: true });
  }

  results.targets = targets;
  results.finishedAt = new Date().toISOString();
  mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTargets(targets);
  console.log(
    `\nCold start: zip ${(coldStart.zipBytes / 1024).toFixed(1)} KB; module load median ${coldStart.loadMsMedian.toFixed(1)} ms over 10 fresh processes`,
  );
  console.log('Written: bench/results.json');
  return 0;
}

function printTargets(targets: Target[]): void {
  console.log('\nTargets');
  const width = Math.max(...targets.map((t) => t.name.length));
  for (const t of targets) console.log(`  ${mark(t.ok)} ${t.name.padEnd(width)}  ${t.value}`);
}

/**
 * One case of the benchmark on its own (`--sweep`, `--pace`, `--key-event`): the emulator started
 * and stopped around it, its figures in bench/results-<name>.json and its targets printed.
 */
async function runAlone(
  name: string,
  work: string,
  measure: (em: Emulator, targets: Target[]) => Promise<unknown>,
): Promise<number> {
  const targets: Target[] = [];
  const results: Record<string, unknown> = { machine: machineOf(), startedAt: new Date().toISOString() };
  const em = await startEmulator();
  try {
    results[name] = await measure(em, targets);
  } finally {
    await em.stop();
    rmSync(work, { recursive: true, force: true });
  }
  results.targets = targets;
  results.finishedAt = new Date().toISOString();
  const file = `results-${name}.json`;
  writeFileSync(path.join(ROOT, 'bench', file), `${JSON.stringify(results, null, 2)}\n`);
  printTargets(targets);
  console.log(`Written: bench/${file}`);
  return 0;
}

function machineOf() {
  return {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** The key-event case, at the product's defaults: DescribeLogGroups paced to its quota. */
function runKeyEvent(em: Emulator, bundlePath: string, targets: Target[]) {
  return runKeyEventBench(em, bundlePath, (seeded) => productEnv(em, seeded, {}), targets);
}

/** What the pace case needs of this file: seeding, the product at its pace defaults, and the floor. */
function paceDeps(em: Emulator, bundlePath: string): PaceBenchDeps {
  return {
    seed: (n, u) => seedAccount(em, n, u),
    productEnv: (seeded, extra) => {
      // The pace's defaults: nothing about pacing is set.
      const { DESCRIBE_LOG_GROUPS_TPS: _d, ASSOCIATE_TPS: _a, ...env } = productEnv(em, seeded, extra);
      return env;
    },
    runProduct: (env) => runChild('run-product.cjs', [bundlePath, '{}'], env),
    runFloor: (keyArn) =>
      runChild('run-floor.cjs', [keyArn, String(CONCURRENCY)], {
        PATH: process.env.PATH,
        ...emulatorEnv(em),
      }),
  };
}

/**
 * Real time: a burst of new log groups, each with its CloudTrail CreateLogGroup event, handled
 * one after the other in one warm container (reserved concurrency 1). Unpaced, to measure the
 * code; the drain time at AWS's rates follows from the calls per event.
 */
async function runBurst(em: Emulator, bundlePath: string, options: Options, targets: Target[]) {
  const count = options.burst;
  console.log(`\n== Real time: a burst of ${count.toLocaleString()} CreateLogGroup events, in sequence`);
  await em.clearFaults();
  await em.reset();
  const aws = seedClients(em.endpoint);
  const keyArn = await createKey(aws.kms);
  const { topicArn } = await createReportTopic(aws);
  const names = Array.from(
    { length: count },
    (_, i) => `/aws/rds/instance/db-${String(i).padStart(4, '0')}/general`,
  );
  await em.seedLogGroups({ groups: names.map((name) => ({ name })) });
  await em.resetRequestCounts();
  const env = productEnv(
    em,
    { keyArn, topicArn },
    { DESCRIBE_LOG_GROUPS_TPS: '0', ASSOCIATE_TPS: '0', REPORT_WHEN: 'findings' },
  );
  const eventTemplate = path.join(ROOT, 'events', 'create-log-group-rds.json');
  const result = (await runChild(
    'run-burst.cjs',
    [bundlePath, eventTemplate, JSON.stringify(names)],
    env,
  )) as ChildResult & {
    perEventMs: number[];
  };
  const requests = await em.requestCounts();
  const per = (op: string) => (requests[op] ?? 0) / count;
  const kms = Object.entries(requests)
    .filter(([op]) => op.startsWith('kms.'))
    .reduce((n, [, v]) => n + v, 0);
  const sorted = [...result.perEventMs].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  // At AWS's rates each event needs one DescribeLogGroups (5/s) and one AssociateKmsKey (R/s).
  const drainSeconds = Math.max(
    (count * per('logs.DescribeLogGroups')) / DESCRIBE_QUOTA_TPS,
    (count * per('logs.AssociateKmsKey')) / options.associateTps,
  );
  console.log(
    `  ${count} events in ${seconds(result.ms)} s: per event p50 ${p(0.5).toFixed(1)} ms, p95 ${p(0.95).toFixed(1)} ms; ` +
      `calls per event: DescribeLogGroups ${per('logs.DescribeLogGroups')}, AssociateKmsKey ${per('logs.AssociateKmsKey')}, ` +
      `KMS ${(kms / count).toFixed(3)} (${kms} in all), SNS ${per('sns.Publish')}`,
  );
  console.log(
    `  at AWS's rates (DescribeLogGroups 5/s, AssociateKmsKey ${options.associateTps}/s) the burst drains in about ${drainSeconds.toFixed(0)} s`,
  );
  targets.push(
    {
      name: `burst: 1 DescribeLogGroups and 1 AssociateKmsKey per event`,
      value: `${per('logs.DescribeLogGroups')} and ${per('logs.AssociateKmsKey')}`,
      ok: per('logs.DescribeLogGroups') === 1 && per('logs.AssociateKmsKey') === 1,
    },
    {
      name: `burst: KMS calls only on a cold cache (≤ 3 per 5 minutes)`,
      value: String(kms),
      ok: kms <= 3 * Math.ceil(result.ms / 300_000),
    },
    {
      name: 'burst: no report published when all goes well',
      value: String(requests['sns.Publish'] ?? 0),
      ok: !requests['sns.Publish'],
    },
  );
  return {
    count,
    ms: result.ms,
    p50Ms: p(0.5),
    p95Ms: p(0.95),
    requests,
    drainSecondsAtQuota: drainSeconds,
    peakRssMb: result.maxRssKb / 1024,
  };
}

function printRequests(requests: Record<string, number>): void {
  const line = Object.entries(requests)
    .sort()
    .map(([op, count]) => `${op} ${count}`)
    .join(', ');
  console.log(`  requests (last product run, counted by the emulator): ${line}`);
}

/** Time to require the bundle in a fresh Node process, its configuration parsed: median of 10. */
function measureColdStart(bundlePath: string, zipBytes: number) {
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    KMS_KEY_ID: 'alias/logs-kms-remediator',
    REPORT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:reports',
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
  };
  const script = `const t = performance.now(); require(${JSON.stringify(bundlePath)}); process.stdout.write(String(performance.now() - t));`;
  const loads = Array.from({ length: 10 }, () =>
    Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })),
  );
  return { zipBytes, loadMs: loads, loadMsMedian: median(loads) };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
