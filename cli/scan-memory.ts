/**
 * How many groups the last complete scan of an account, region and prefix found, kept in the
 * user's cache folder so that the next plan or apply can show an ETA (DescribeLogGroups gives no
 * count). A cache only: when it cannot be read or written, the run goes on without an ETA.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Sizes = Record<string, number>;

export interface ScanMemory {
  expected(scope: string): number | undefined;
  remember(scope: string, groups: number): void;
}

/** `$LOGS_KMS_REMEDIATOR_CACHE_DIR`, else `$XDG_CACHE_HOME/logs-kms-remediator`, else `~/.cache/logs-kms-remediator`. */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  return (
    env.LOGS_KMS_REMEDIATOR_CACHE_DIR ||
    join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'logs-kms-remediator')
  );
}

export function openScanMemory(dir: string): ScanMemory {
  const file = join(dir, 'scan-sizes.json');
  const read = (): Sizes => {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Sizes) : {};
    } catch {
      return {};
    }
  };
  return {
    expected(scope) {
      const size = read()[scope];
      return typeof size === 'number' && Number.isSafeInteger(size) && size > 0 ? size : undefined;
    },
    remember(scope, groups) {
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, `${JSON.stringify({ ...read(), [scope]: groups }, null, 2)}\n`);
      } catch {
        // A cache that cannot be written costs the next run its ETA, nothing more.
      }
    },
  };
}

export function scanScope(account: string, region: string, prefix: string | undefined): string {
  return `${account}/${region}/${prefix ?? ''}`;
}
