/**
 * `npm run bench -- --sweep N[:U]`: one whole sweep, as the state machine runs it. The sweep
 * state machine's definition from the packaged template is interpreted (test/support/state-machine.ts)
 * and each Task state invokes the bundled handler in a Node process of its own (bench/run-sweep-invocation.cjs),
 * with a Lambda context whose deadline leaves the handler `budget` seconds of work past its margin,
 * and the answer (a continuation while the sweep goes on) becomes the next invocation's payload.
 * The emulator holds N groups (bulk seeding, every N/U-th unencrypted) and counts the requests.
 * Pacing is off: at AWS's 5 DescribeLogGroups/s, N = 1,000,000 would take 67 minutes.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report, Totals } from '../lib/core/types';
import type { Emulator } from '../test/emulator/emulator';
import { createKey, createReportTopic, seedClients } from '../test/support/aws-seed';
import type { JsonObject, Template } from '../test/support/cfn-stack';
import { aloneRunning } from '../test/support/fake-sweep-services';
import { executeStateMachine } from '../test/support/state-machine';
import { DESCRIBE_QUOTA_TPS, type Target } from './bench-child';

const ROOT = path.resolve(__dirname, '..');
const PAGE_SIZE = 50;
/** The emulator's bulk seeding takes at most this many groups per request. */
const SEED_BATCH = 1_000_000;
/**
 * Step Functions passes at most 262,144 bytes of JSON from one state to the next
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html, `input`).
 */
const STATE_MAX_BYTES = 262_144;
const RSS_TARGET_MB = 150;

export interface SweepOptions {
  n: number;
  u: number;
  /** Seconds of work per invocation: the fake context's remaining time is 20 s (the handler's margin) + this. */
  budgetSeconds: number;
  associateTps: number;
}

interface Invocation {
  ms: number;
  peakRssMb: number;
  /** Largest V8 heap figures, sampled every 250 ms. */
  heap: HeapPeaks;
  describeLogGroups: number;
  associateKmsKey: number;
  /** Groups the sweep has accounted for after this invocation. */
  scannedSoFar: number;
  answerBytes: number;
}

interface HeapPeaks {
  usedMb: number;
  totalMb: number;
  externalMb: number;
}

interface InvocationAnswer {
  ms: number;
  maxRssKb: number;
  heap: HeapPeaks;
  answer?: unknown;
  error?: string;
}

/** Parse `N` or `N:U` (U defaults to N/100); U must divide N, since every N/U-th group is unencrypted. */
export function parseSweepSize(value: string): { n: number; u: number } {
  const [n, u = Math.floor(Number(value.split(':')[0]) / 100)] = value.split(':').map(Number);
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(u) || !n || !u || u > n || n % u) {
    throw new Error(`--sweep: expected N or N:U with 0 < U ≤ N and U dividing N, got ${value}`);
  }
  return { n: n as number, u };
}

function invoke(bundlePath: string, budgetSeconds: number, env: NodeJS.ProcessEnv, payload: unknown) {
  return new Promise<InvocationAnswer>((resolve, reject) => {
    const script = path.join(ROOT, 'bench', 'run-sweep-invocation.cjs');
    const child: ChildProcess = fork(script, [bundlePath, String(budgetSeconds * 1000)], {
      env,
      silent: true,
      // Plain Node, as Lambda runs it: by default fork() passes on tsx's loader (about 37 MB of RSS).
      execArgv: [],
    });
    // The product logs a line per changed group: part of its cost, not of the figures.
    child.stdout?.resume();
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    let result: InvocationAnswer | undefined;
    child.on('message', (message) => {
      result = message as InvocationAnswer;
    });
    child.on('exit', (code) => {
      if (result && !result.error) resolve(result);
      else reject(new Error(`invocation failed (${code}): ${result?.error ?? stderr.slice(-2000)}`));
    });
    // IPC carries JSON, as Step Functions does: nothing but what serializes reaches the handler.
    child.send(payload as object);
  });
}

/** Peak resident memory of a process (VmHWM), in MB; 0 where /proc is not there. */
function peakRssMbOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function seedSweep(em: Emulator, n: number, u: number) {
  await em.clearFaults();
  await em.reset();
  const aws = seedClients(em.endpoint);
  const keyArn = await createKey(aws.kms);
  const { topicArn } = await createReportTopic(aws);
  const started = performance.now();
  for (let start = 0; start < n; start += SEED_BATCH) {
    const count = Math.min(SEED_BATCH, n - start);
    await em.seedLogGroups({
      generate: { prefix: '/bench/s', start, count, unencryptedEvery: n / u, kmsKeyId: keyArn },
    });
  }
  const seedMs = performance.now() - started;
  await em.resetRequestCounts();
  return { keyArn, topicArn, seedMs };
}

const sum = (totals: Totals) => Object.values(totals).reduce((a, b) => a + b, 0) - totals.scanned;
const mb = (x: number) => `${x.toFixed(0)} MB`;

/** Run the sweep, print its figures and push its targets; returns the figures for results.json. */
export async function runSweepBench(
  em: Emulator,
  bundlePath: string,
  template: Template,
  options: SweepOptions,
  envFor: (seeded: { keyArn: string; topicArn: string }) => NodeJS.ProcessEnv,
  targets: Target[],
) {
  const { n, u, budgetSeconds } = options;
  const pages = Math.ceil(n / PAGE_SIZE);
  const quotaFloorS = Math.max(pages / DESCRIBE_QUOTA_TPS, u / options.associateTps);
  console.log(
    `\n== Sweep: N=${n.toLocaleString()}, U=${u.toLocaleString()}, the state machine driving the bundled handler, ` +
      `${budgetSeconds} s of work per invocation (remaining time ${20 + budgetSeconds} s, margin 20 s)`,
  );
  console.log(
    `  pacing OFF (DESCRIBE_LOG_GROUPS_TPS=0, ASSOCIATE_TPS=0): this measures the code. At AWS's rates the ` +
      `quota floor is max(${pages.toLocaleString()} pages / ${DESCRIBE_QUOTA_TPS}/s, ${u.toLocaleString()} / ${options.associateTps}/s) ` +
      `= ${quotaFloorS.toFixed(0)} s (${(quotaFloorS / 60).toFixed(1)} min)`,
  );
  const seeded = await seedSweep(em, n, u);
  const emulatorAfterSeedMb = peakRssMbOf(em.pid);
  console.log(
    `  seeded ${n.toLocaleString()} groups in ${(seeded.seedMs / 1000).toFixed(1)} s (bulk); emulator peak RSS ${mb(emulatorAfterSeedMb)}`,
  );
  const env = envFor(seeded);
  const definition = template.Resources.SweepStateMachine?.Properties?.Definition as JsonObject | undefined;
  if (!definition) throw new Error('the packaged template has no SweepStateMachine definition');

  const invocations: Invocation[] = [];
  let previous: Record<string, number> = {};
  const started = performance.now();
  const execution = await executeStateMachine(
    definition,
    { 'detail-type': 'Scheduled Event', source: 'aws.events' },
    async (payload) => {
      const result = await invoke(bundlePath, budgetSeconds, env, payload);
      const counts = await em.requestCounts();
      const delta = (op: string) => (counts[op] ?? 0) - (previous[op] ?? 0);
      const answer = result.answer as { sweep?: { totals: Totals }; totals?: Totals };
      const invocation: Invocation = {
        ms: result.ms,
        peakRssMb: result.maxRssKb / 1024,
        heap: result.heap,
        describeLogGroups: delta('logs.DescribeLogGroups'),
        associateKmsKey: delta('logs.AssociateKmsKey'),
        scannedSoFar: (answer.sweep?.totals ?? answer.totals)?.scanned ?? 0,
        answerBytes: Buffer.byteLength(JSON.stringify(result.answer)),
      };
      previous = counts;
      invocations.push(invocation);
      console.log(
        `  invocation ${String(invocations.length).padStart(2)}: ${(invocation.ms / 1000).toFixed(1)} s, ` +
          `peak RSS ${mb(invocation.peakRssMb)} (heap used ≤ ${mb(invocation.heap.usedMb)} of ≤ ${mb(invocation.heap.totalMb)}), DescribeLogGroups ${invocation.describeLogGroups}, ` +
          `AssociateKmsKey ${invocation.associateKmsKey}, scanned so far ${invocation.scannedSoFar.toLocaleString()}, ` +
          `answer ${(invocation.answerBytes / 1024).toFixed(1)} KB`,
      );
      return result.answer;
    },
    // The only sweep running: the one-at-a-time check lets it through.
    { sdk: aloneRunning().sdk },
  );
  const wallMs = performance.now() - started;
  const requests = await em.requestCounts();
  const emulatorPeakMb = peakRssMbOf(em.pid);
  const report = execution.output as Report | undefined;
  return judgeSweep(
    { options, pages, quotaFloorS, seeded, execution, report, invocations, requests, wallMs },
    { emulatorAfterSeedMb, emulatorPeakMb },
    targets,
  );
}

interface SweepRun {
  options: SweepOptions;
  pages: number;
  quotaFloorS: number;
  seeded: { seedMs: number };
  execution: { status: string; error?: string };
  report: Report | undefined;
  invocations: Invocation[];
  requests: Record<string, number>;
  wallMs: number;
}

function judgeSweep(
  run: SweepRun,
  { emulatorAfterSeedMb, emulatorPeakMb }: { emulatorAfterSeedMb: number; emulatorPeakMb: number },
  targets: Target[],
) {
  const { n, u } = run.options;
  const { invocations, requests, report } = run;
  const describe = requests['logs.DescribeLogGroups'] ?? 0;
  const associate = requests['logs.AssociateKmsKey'] ?? 0;
  const boundaries = Math.max(0, invocations.length - 1);
  const describeMax = run.pages + boundaries;
  const peakRss = Math.max(...invocations.map((i) => i.peakRssMb));
  const largestState = Math.max(...invocations.slice(0, -1).map((i) => i.answerBytes), 0);
  const totals = report?.totals;
  const accounted =
    run.execution.status === 'SUCCEEDED' &&
    report?.complete === true &&
    totals?.scanned === n &&
    sum(totals) === n &&
    totals.alreadyEncrypted === n - u &&
    totals.remediated === u;
  const extra = describe - run.pages;
  console.log(
    `  ${invocations.length} invocations, wall time ${(run.wallMs / 1000).toFixed(1)} s (process start-up and ` +
      `the emulator's request counts included; 2 shared cores, so noisy)`,
  );
  console.log(
    `  DescribeLogGroups ${describe.toLocaleString()} = ${run.pages.toLocaleString()} pages + ${extra} read again ` +
      `(${boundaries ? (extra / boundaries).toFixed(1) : '0'} per boundary over ${boundaries} boundaries)`,
  );
  console.log(
    `  final report: ${run.execution.status}, complete ${String(report?.complete)}, invocations ${String(report?.invocations)}, ` +
      `totals ${JSON.stringify(totals)}; SNS Publish ${requests['sns.Publish'] ?? 0}`,
  );
  console.log(`  emulator peak RSS ${mb(emulatorPeakMb)} (after seeding ${mb(emulatorAfterSeedMb)})`);
  const label = `sweep N=${n}`;
  targets.push(
    {
      name: `${label}: several invocations`,
      value: String(invocations.length),
      ok: invocations.length >= 3 && report?.invocations === invocations.length,
    },
    {
      name: `${label}: DescribeLogGroups ≤ ceil(N/50) + 1 per boundary = ${describeMax}`,
      value: `${describe} (+${extra} over ${boundaries} boundaries)`,
      ok: describe >= run.pages && describe <= describeMax,
    },
    { name: `${label}: AssociateKmsKey = U = ${u}`, value: String(associate), ok: associate === u },
    {
      name: `${label}: peak RSS of every invocation ≤ ${RSS_TARGET_MB} MB`,
      value: `max ${mb(peakRss)} (${invocations.map((i) => i.peakRssMb.toFixed(0)).join(', ')})`,
      ok: peakRss <= RSS_TARGET_MB,
    },
    {
      name: `${label}: final report accounts for all N groups (scanned = N, buckets add up)`,
      value: `scanned ${totals?.scanned}, buckets ${totals ? sum(totals) : '?'}`,
      ok: accounted,
    },
    {
      name: `${label}: exactly 1 SNS Publish`,
      value: String(requests['sns.Publish'] ?? 0),
      ok: requests['sns.Publish'] === 1,
    },
    {
      name: `${label}: sweep state ≤ 256 KB between invocations`,
      value: `${(largestState / 1024).toFixed(1)} KB`,
      ok: largestState <= STATE_MAX_BYTES,
    },
  );
  return {
    n,
    u,
    budgetSeconds: run.options.budgetSeconds,
    pacing: 'off',
    quotaFloorSeconds: run.quotaFloorS,
    seedMs: run.seeded.seedMs,
    wallMs: run.wallMs,
    invocations,
    requests,
    status: run.execution.status,
    totals,
    complete: report?.complete,
    emulatorPeakRssMb: emulatorPeakMb,
  };
}
