/**
 * `npm run bench -- --pace`: the adaptive AssociateKmsKey pace, at the product's defaults
 * (ASSOCIATE_TPS 5 to start, ASSOCIATE_TPS_MAX 50, DescribeLogGroups fixed at 5/s).
 *
 * - With the emulator holding AssociateKmsKey to R calls/s (R = 5, 20, 50) and DescribeLogGroups to
 *   5/s: wall time ≤ 1.15 × max(pages / 5, U / R), at most 5% of associations throttled, none failed.
 *   U = 50·R, so that U / R (50 s) dominates the 20 s scan of N = 5,000 groups.
 * - With no quota at all: against the unpaced bare-SDK floor (bench/run-floor.cjs), and against the
 *   fastest a product that keeps DescribeLogGroups at 5/s and associations at the ceiling can be.
 * Throttles are counted by the emulator; the product's own count (report.pace) is printed beside it.
 */
import type { Emulator } from '../test/emulator/emulator';
import { type ChildResult, DESCRIBE_QUOTA_TPS, type Target } from './bench-child';

const ASSOCIATE_TPS_MAX = 50;
const QUOTA_N = 5_000;
const SECONDS_PER_QUOTA_RUN = 50;
const FREE_N = 2_000;
const FREE_U = 1_000;

/** What the pace bench needs from bench.ts: seeding, the product's environment, and its processes. */
export interface PaceBenchDeps {
  seed(n: number, u: number): Promise<{ keyArn: string; topicArn: string }>;
  productEnv(seeded: { keyArn: string; topicArn: string }, extra: Record<string, string>): NodeJS.ProcessEnv;
  runProduct(env: NodeJS.ProcessEnv): Promise<ChildResult>;
  runFloor(keyArn: string): Promise<{ ms: number }>;
}

/** The product's environment at its pace defaults: nothing about the pace is set. */
const DEFAULTS: Record<string, string> = {};

export async function runPaceBench(em: Emulator, deps: PaceBenchDeps, targets: Target[]) {
  const results: Record<string, unknown>[] = [];
  for (const r of [5, 20, 50]) results.push(await runAtQuota(em, deps, r, targets));
  results.push(await runWithoutQuota(em, deps, targets));
  return results;
}

async function runAtQuota(em: Emulator, deps: PaceBenchDeps, r: number, targets: Target[]) {
  const n = QUOTA_N;
  const u = SECONDS_PER_QUOTA_RUN * r;
  const pages = Math.ceil(n / 50);
  const floorS = Math.max(pages / DESCRIBE_QUOTA_TPS, u / r);
  console.log(
    `\n== Pace: N=${n.toLocaleString()}, U=${u.toLocaleString()}; emulator holds AssociateKmsKey to ${r}/s, ` +
      `DescribeLogGroups to ${DESCRIBE_QUOTA_TPS}/s; quota floor max(${pages}/5, ${u}/${r}) = ${floorS} s`,
  );
  const seeded = await deps.seed(n, u);
  await em.setFaults({
    tpsLimits: { 'logs.DescribeLogGroups': DESCRIBE_QUOTA_TPS, 'logs.AssociateKmsKey': r },
  });
  const product = await deps.runProduct(deps.productEnv(seeded, DEFAULTS));
  const stats = await em.stats();
  await em.clearFaults();
  const throttled = stats.faults['logs.AssociateKmsKey.ThrottlingException'] ?? 0;
  const ratio = product.ms / 1000 / floorS;
  const share = throttled / u;
  console.log(
    `  product ${(product.ms / 1000).toFixed(1)} s = ${ratio.toFixed(3)}× the quota floor; AssociateKmsKey throttled ` +
      `${throttled} times (${(100 * share).toFixed(1)}% of U; the product counted ${product.pace?.throttles ?? '?'}), ` +
      `rate reached ${product.pace?.associateTpsReached ?? '?'}/s; all faults ${JSON.stringify(stats.faults)}`,
  );
  targets.push(
    { name: `pace R=${r}: wall ≤ 1.15× max(pages/5, U/R)`, value: `${ratio.toFixed(3)}×`, ok: ratio <= 1.15 },
    {
      name: `pace R=${r}: ≤ 5% of associations throttled`,
      value: `${(100 * share).toFixed(1)}% (${throttled})`,
      ok: share <= 0.05,
    },
    {
      name: `pace R=${r}: 0 groups failed, all ${u} remediated`,
      value: `${product.totals?.failed ?? '?'} failed, ${product.totals?.remediated ?? '?'} remediated`,
      ok: product.totals?.failed === 0 && product.totals?.remediated === u,
    },
  );
  return {
    r,
    n,
    u,
    floorS,
    productMs: product.ms,
    ratio,
    throttled,
    pace: product.pace,
    faults: stats.faults,
  };
}

async function runWithoutQuota(em: Emulator, deps: PaceBenchDeps, targets: Target[]) {
  const [n, u] = [FREE_N, FREE_U];
  const pages = Math.ceil(n / 50);
  const boundS = Math.max(pages / DESCRIBE_QUOTA_TPS, u / ASSOCIATE_TPS_MAX);
  console.log(`\n== Pace: N=${n.toLocaleString()}, U=${u.toLocaleString()}, no quota at all`);
  const product = await deps.runProduct(deps.productEnv(await deps.seed(n, u), DEFAULTS));
  const throttled = (await em.stats()).faults['logs.AssociateKmsKey.ThrottlingException'] ?? 0;
  const floor = await deps.runFloor((await deps.seed(n, u)).keyArn);
  const ratio = product.ms / floor.ms;
  const boundRatio = product.ms / 1000 / boundS;
  console.log(
    `  product ${(product.ms / 1000).toFixed(1)} s (rate reached ${product.pace?.associateTpsReached ?? '?'}/s, ` +
      `${throttled} throttled); unpaced bare-SDK floor ${(floor.ms / 1000).toFixed(2)} s: ${ratio.toFixed(2)}×; ` +
      `max(${pages}/5, ${u}/${ASSOCIATE_TPS_MAX}) = ${boundS} s: ${boundRatio.toFixed(3)}×`,
  );
  targets.push(
    {
      name: 'pace, no quota: wall ≤ 1.3× the unpaced bare-SDK floor',
      value: `${ratio.toFixed(2)}×`,
      ok: ratio <= 1.3,
    },
    {
      name: `pace, no quota: wall ≤ 1.15× max(pages/5, U/${ASSOCIATE_TPS_MAX}) (the pace's own bounds)`,
      value: `${boundRatio.toFixed(3)}×`,
      ok: boundRatio <= 1.15,
    },
    {
      name: 'pace, no quota: 0 throttled, 0 failed',
      value: `${throttled} throttled, ${product.totals?.failed ?? '?'} failed`,
      ok: throttled === 0 && product.totals?.failed === 0,
    },
  );
  return { n, u, productMs: product.ms, floorMs: floor.ms, ratio, boundS, boundRatio, pace: product.pace };
}
