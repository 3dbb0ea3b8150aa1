/** What every benchmark shares: its targets, AWS's scan quota, and its processes (a script of bench/, forked). */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** One figure the benchmark holds to a target, printed with ✓ or ✗. */
export interface Target {
  name: string;
  value: string;
  ok: boolean;
}

/** DescribeLogGroups: 5 requests per second per account and region (CloudWatch Logs quotas). */
export const DESCRIBE_QUOTA_TPS = 5;

export interface ChildResult {
  ms: number;
  maxRssKb: number;
  totals?: Record<string, number>;
  /** bench/run-product.cjs with an event: the report's key sections. */
  keysInUse?: { arn: string; verdict: string; groups: number; groupsAtRisk?: number }[];
  keyEvent?: { eventName: string; keyId: string };
  pace?: { associateTpsReached: number; throttles: number };
  error?: string;
}

export function runChild(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // Output is dropped: the product logs a line per group, which is part of its cost, not of the figures.
    // Plain Node, as Lambda runs it: by default fork() passes on tsx's loader (about 37 MB of RSS).
    const child: ChildProcess = fork(path.join(ROOT, 'bench', script), args, {
      env,
      silent: true,
      execArgv: [],
    });
    child.stdout?.resume();
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    let result: ChildResult | undefined;
    child.on('message', (message) => {
      result = message as ChildResult;
    });
    child.on('exit', (code) => {
      if (result && !result.error) resolve(result);
      else reject(new Error(`${script} failed (${code}): ${result?.error ?? stderr.slice(-2000)}`));
    });
  });
}
