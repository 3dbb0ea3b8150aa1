/**
 * `npm run bench -- --findings [N:U]`: what the Security Hub import costs for an account of N
 * groups, U of them unencrypted (default the bench's 10,000:1,000), computed from the findings
 * the product builds and packs (lib/core/findings.ts), not measured against an emulator:
 *   - a dry run: one finding per unencrypted group, FindingsTopic messages of at most 100;
 *   - the findings function: one BatchImportFindings per message;
 *   - the live run that follows resolves them: GetFindings pages of 100, then one
 *     BatchImportFindings and one BatchUpdateFindings per 100 resolved.
 * Compliant groups cost nothing. At the default IMPORT_FINDINGS_TPS of 5, the time is the calls over 5.
 */
import { buildFindings, type FindingsContext } from '../lib/core/findings';
import { packImportMessages } from '../lib/core/findings-message';
import type { GroupOutcome } from '../lib/core/types';

const CTX: FindingsContext = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  at: new Date(0).toISOString(),
  targetKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  keysInUse: [],
  exclusion: { includePatterns: [], excludePatterns: [] },
};

export function runFindingsBench(argv: string[]): number {
  const [n = 10_000, u = 1_000] = (argv[0] ?? '10000:1000').split(':').map(Number);
  // Names as the bench seeds them (/bench/<size>/group-<i>), the unencrypted ones dry-run.
  const outcomes: GroupOutcome[] = Array.from({ length: u }, (_, i) => ({
    outcome: 'would-remediate',
    logGroupName: `/bench/${n}/group-${String(i).padStart(7, '0')}`,
  }));
  const findings = buildFindings(outcomes, CTX);
  const { messages } = packImportMessages('bench', findings, true);
  const bytes = messages.map((m) => Buffer.byteLength(JSON.stringify(m)));
  const resolveBatches = Math.ceil(findings.length / 100);
  const rows = [
    ['groups', n],
    ['non-compliant groups (findings)', findings.length],
    ['FindingsTopic messages (SNS Publish)', messages.length],
    ['largest message (bytes, SNS max 262,144)', Math.max(0, ...bytes)],
    ['BatchImportFindings calls for the import', messages.length],
    ['resolve after the live run: GetFindings pages', resolveBatches],
    ['resolve: BatchImportFindings + BatchUpdateFindings', 2 * resolveBatches],
    ['Security Hub calls in all (dry run, then live run)', messages.length + 3 * resolveBatches],
  ] as const;
  console.log(`Security Hub import for ${n} groups, ${u} unencrypted:`);
  for (const [what, value] of rows) console.log(`  ${what.padEnd(52)} ${value}`);
  return 0;
}
