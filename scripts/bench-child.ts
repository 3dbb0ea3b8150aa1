/** One benchmark process: a script of bench/, forked, answering its figures over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

export interface ChildResult {
  ms: number;
  maxRssKb: number;
  totals?: Record<string, number>;
  /** bench/run-product.cjs with an event: the report's key sections. */
  keysInUse?: { arn: string; verdict: string; groups: number; groupsAtRisk?: number }[];
  keyEvent?: { eventName: string; keyId: string };
  error?: string;
}

export function runChild(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // Output is dropped: the product logs a line per group, which is part of its cost, not of the figures.
    const child: ChildProcess = fork(path.join(ROOT, 'bench', script), args, { env, silent: true });
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
