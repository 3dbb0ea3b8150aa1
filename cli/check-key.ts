/**
 * check-key: the key check the function makes at the start of every run, from a laptop: the same
 * problem and warning codes, the verdict for the account's groups or for named ones, and, when the
 * policy lacks it, the statement to add and the put-key-policy command that adds it.
 */
import { checkGroupAgainstPolicy } from '../lib/core/key-check';
import { logGroupArnPrefix } from '../lib/core/key-policy';
import { type KeyPolicyFix, planKeyPolicyFix, putKeyPolicyCommand } from '../lib/core/policy-fix';
import type { KeyReport } from '../lib/core/types';
import { type AssessedKey, assessTargetKey } from '../lib/run/assess-key';
import { EXIT } from './exit-codes';
import type { Io } from './io';
import { describeFixOutcome, renderKey } from './render';
import type { Session } from './session';

export interface CheckKeyResult {
  command: 'check-key';
  region: string;
  account: string;
  /** The key is usable, with no problem at all, for every group named. */
  ok: boolean;
  key: KeyReport & { keyManager: string | null };
  /** How the key policy bears on the account's groups. */
  policyAccess: string;
  groups: { logGroupName: string; allowed: boolean; message?: string }[];
  fix: FixSummary;
}

export type FixSummary =
  | { outcome: 'add-statement'; statement: object; policy: object; command: string; mayStillDeny?: object }
  | { outcome: Exclude<KeyPolicyFix['outcome'], 'add-statement'>; message?: string; deny?: object };

export async function checkKey(session: Session, io: Io, options: { groups: string[]; json: boolean }) {
  const key = await assessTargetKey(session.config, session.ports, { runId: 'check-key' });
  const result = buildResult(key, session.config.region, options.groups);
  if (options.json) io.json(result);
  else renderCheckKey(result, io);
  return result.ok ? EXIT.ok : EXIT.problems;
}

function buildResult(key: AssessedKey, region: string, names: readonly string[]): CheckKeyResult {
  const { assessment, facts, account } = key;
  const groups = names.map((logGroupName) => {
    const verdict = checkGroupAgainstPolicy(
      assessment,
      `${logGroupArnPrefix(assessment.logs)}${logGroupName}`,
    );
    return verdict.allowed
      ? { logGroupName, allowed: true }
      : { logGroupName, allowed: false, message: verdict.message };
  });
  const report = assessment.report;
  return {
    command: 'check-key',
    region,
    account,
    ok: assessment.usable && report.problems.length === 0 && groups.every((g) => g.allowed),
    key: { ...report, keyManager: facts.found ? facts.keyManager : null },
    policyAccess: assessment.access.kind,
    groups,
    fix: summariseFix(
      planKeyPolicyFix(facts, region, account),
      assessment.keyArn ?? report.requested,
      region,
    ),
  };
}

export function summariseFix(fix: KeyPolicyFix, keyArn: string, region: string): FixSummary {
  switch (fix.outcome) {
    case 'add-statement':
      return {
        outcome: fix.outcome,
        statement: fix.statement,
        policy: JSON.parse(fix.after) as object,
        command: putKeyPolicyCommand(keyArn, region, fix.after),
        ...(fix.residual ? { mayStillDeny: fix.residual } : {}),
      };
    case 'blocked':
      return { outcome: fix.outcome, message: fix.message, deny: fix.deny };
    case 'already-present':
      return { outcome: fix.outcome, ...(fix.residual ? { deny: fix.residual } : {}) };
    case 'key-unavailable':
    case 'policy-unreadable':
      return { outcome: fix.outcome, message: fix.message };
    default:
      return { outcome: fix.outcome };
  }
}

function renderCheckKey(result: CheckKeyResult, io: Io): void {
  const { colour } = io;
  renderKey(result.key, result.region, io);
  io.say(`  Key policy for the log groups of ${result.account} in ${result.region}: ${result.policyAccess}`);
  for (const group of result.groups) {
    io.say(
      `  Group ${group.logGroupName}: ${group.allowed ? colour.green('allowed') : colour.red(`denied: ${group.message}`)}`,
    );
  }
  const fix = result.fix;
  if (fix.outcome === 'add-statement') {
    io.say('');
    io.say(
      'The key policy does not let CloudWatch Logs use the key for every log group. Add this statement:',
    );
    io.say(indent(JSON.stringify(fix.statement, null, 2)));
    io.say('');
    io.say('with logs-kms-remediator fix-key-policy (it shows the change and asks first), or with:');
    io.say(`  ${fix.command}`);
  } else {
    const line = describeFixOutcome(fix);
    if (line) io.say(`\n${line}`);
  }
  io.say('');
  io.say(result.ok ? colour.green('The key is usable.') : colour.red('The key has problems (exit code 1).'));
}

export function indent(text: string, prefix = '  '): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}
