/**
 * Pure: the audit of the keys that encrypted groups already use. An encrypted group can be in
 * worse trouble than an unencrypted one: "if you delete the key or revoke CloudWatch Logs' access
 * to it, your encrypted data in CloudWatch Logs can no longer be retrieved" (CloudWatch Logs User
 * Guide, encrypt-log-data-kms.html), and a disabled key "cannot be used in any cryptographic
 * operation until you re-enable it" (KMS Developer Guide, key-state.html).
 *
 * One verdict per key and invocation, from at most two KMS calls (DescribeKey, GetKeyPolicy); the
 * key policy is then judged for each group on the key, with the same evaluator as the target's.
 */
import { parseArn } from './arn';
import { assessKey, judgeGroupAccess, type KeyAssessment } from './key-check';
import { logsServicePrincipal } from './key-policy';
import type { AtRiskCode, AtRiskReason, Finding, KeyFacts, KeyFix, KeyInUse } from './types';

/** Where the groups live: the policy is judged for CloudWatch Logs of this region and account. */
export interface AuditContext {
  region: string;
  account: string;
}

export type KeyAudit =
  | { status: 'enabled'; arn: string; assessment: KeyAssessment }
  | {
      status: 'at-risk';
      arn: string;
      state: string | null;
      reason: Exclude<AtRiskReason, 'key-policy-revoked'>;
      problem: Finding<AtRiskCode>;
      fix: KeyFix;
      deletionDate?: string;
    }
  | { status: 'unverified'; arn: string; state: string | null; message: string };

/** What the key a group is on means for that group. */
export type GroupKeyVerdict =
  | { verdict: 'healthy' }
  | { verdict: 'at-risk'; reason: AtRiskReason; message: string }
  | { verdict: 'unverified'; message: string };

const DAY_MS = 86_400_000;

/**
 * Judge one key from what KMS said about it. `now` dates the days left before a scheduled deletion;
 * `assessed` is the key's assessment where the run already has it (the target's).
 */
export function auditKey(
  arn: string,
  facts: KeyFacts,
  ctx: AuditContext,
  now: Date,
  assessed?: KeyAssessment,
): KeyAudit {
  if (!facts.found) return auditMissingKey(arn, facts, ctx);
  const state = facts.state;
  switch (state) {
    case 'Enabled':
      return { status: 'enabled', arn, assessment: assessed ?? assessKey(facts, ctx.region, ctx.account) };
    case 'Disabled':
      return atRisk(arn, state, 'key-disabled', 'KEY_DISABLED', disabledFix(arn, ctx));
    case 'PendingDeletion':
    case 'PendingReplicaDeletion':
      return pendingDeletion(arn, state, facts.deletionDate, ctx, now);
    case 'Creating':
    case 'Updating':
      // Passing states of multi-Region keys (KMS Developer Guide, key-state.html): the next run looks again.
      return {
        status: 'unverified',
        arn,
        state,
        message: `The key is ${state}; the next run checks it again.`,
      };
    default:
      // PendingImport (key material deleted or expired), Unavailable (custom key store disconnected), or new.
      return atRisk(arn, state, 'key-unavailable', 'KEY_UNAVAILABLE', unavailableFix(arn, state, ctx));
  }
}

/** The verdict for one group on an audited key. */
export function judgeGroupOnKey(audit: KeyAudit, logGroupArn: string): GroupKeyVerdict {
  if (audit.status === 'at-risk')
    return { verdict: 'at-risk', reason: audit.reason, message: audit.problem.message };
  if (audit.status === 'unverified') return { verdict: 'unverified', message: audit.message };
  const access = judgeGroupAccess(audit.assessment, logGroupArn);
  if (access.allowed === true) return { verdict: 'healthy' };
  if (access.allowed === false) {
    return {
      verdict: 'at-risk',
      reason: 'key-policy-revoked',
      message: `${access.message} The group's logs cannot be read, nor new events ingested.`,
    };
  }
  return { verdict: 'unverified', message: policyUnknownMessage(audit.assessment) };
}

/** How many groups on one key ended how: the key's line in `keysInUse` is built from it. */
export interface KeyTally {
  groups: number;
  atRisk: number;
  unverified: number;
  reassociated: number;
}

/** The key's entry in the report's `keysInUse`. */
export function describeKeyInUse(
  audit: KeyAudit,
  tally: KeyTally,
  role: 'target' | 'other',
  ctx: AuditContext,
  dryRun: boolean,
): KeyInUse {
  const entry: KeyInUse = {
    arn: audit.arn,
    groups: tally.groups,
    verdict: role === 'target' ? 'target' : verdictOf(audit, tally),
    state: audit.status === 'enabled' ? 'Enabled' : audit.state,
  };
  if (audit.status === 'at-risk') {
    Object.assign(entry, { groupsAtRisk: tally.atRisk, problem: audit.problem, fix: audit.fix });
    if (audit.deletionDate) entry.deletionDate = audit.deletionDate;
  } else if (audit.status === 'enabled' && tally.atRisk > 0) {
    Object.assign(entry, policyRevoked(audit, tally, ctx));
  } else if (audit.status === 'unverified' || tally.unverified > 0) {
    const message = audit.status === 'unverified' ? audit.message : policyUnknownMessage(audit.assessment);
    entry.problem = { code: 'KEY_UNREADABLE', message };
  }
  return tally.reassociated > 0 ? withReassociationWarning(entry, tally.reassociated, ctx, dryRun) : entry;
}

/** A key groups were moved off must keep decrypting for CloudWatch Logs: older events stay under it. */
export function withReassociationWarning(
  entry: KeyInUse,
  reassociated: number,
  ctx: AuditContext,
  dryRun: boolean,
): KeyInUse {
  const moved = dryRun ? 'would be moved' : 'were moved';
  return {
    ...entry,
    reassociated,
    warning:
      `${reassociated} group(s) ${moved} off this key to the target key. Only events ingested afterwards ` +
      `use the new key: keep kms:Decrypt on this key for ${logsServicePrincipal(ctx.region)}, or their older ` +
      'events can no longer be read.',
  };
}

function verdictOf(audit: KeyAudit, tally: KeyTally): KeyInUse['verdict'] {
  if (audit.status === 'at-risk' || tally.atRisk > 0) return 'at-risk';
  if (audit.status === 'unverified' || tally.unverified > 0) return 'unverified';
  return 'healthy';
}

function auditMissingKey(
  arn: string,
  facts: Extract<KeyFacts, { found: false }>,
  ctx: AuditContext,
): KeyAudit {
  if (facts.errorCode === 'NotFoundException') {
    const problem: Finding<AtRiskCode> = {
      code: 'KEY_NOT_FOUND',
      message: `The key ${arn} no longer exists: the logs it encrypted can no longer be retrieved.`,
    };
    return { status: 'at-risk', arn, state: null, reason: 'key-not-found', problem, fix: notFoundFix(ctx) };
  }
  const why = facts.transient
    ? `could not be described this time (${facts.errorCode})`
    : `may not be described by the function's role (${facts.errorCode}; typically another account's key)`;
  return { status: 'unverified', arn, state: null, message: `The key ${why}: its health is unknown.` };
}

function atRisk(
  arn: string,
  state: string,
  reason: Exclude<AtRiskReason, 'key-policy-revoked' | 'key-pending-deletion'>,
  code: AtRiskCode,
  fix: KeyFix,
): KeyAudit {
  const problem = { code, message: `The key is ${state}: CloudWatch Logs cannot use it.` };
  return { status: 'at-risk', arn, state, reason, problem, fix };
}

function pendingDeletion(
  arn: string,
  state: string,
  deletionDate: string | undefined,
  ctx: AuditContext,
  now: Date,
): KeyAudit {
  const days = deletionDate
    ? Math.max(0, Math.ceil((Date.parse(deletionDate) - now.getTime()) / DAY_MS))
    : undefined;
  const when = deletionDate
    ? `on ${deletionDate} (in ${days} day${days === 1 ? '' : 's'})`
    : 'in 7 to 30 days';
  const problem: Finding<AtRiskCode> = {
    code: 'KEY_PENDING_DELETION',
    message: `The key is scheduled for deletion ${when}; after that the logs it encrypted can no longer be retrieved.`,
  };
  const fix: KeyFix = {
    // A key whose deletion is cancelled is Disabled, not Enabled (KMS Developer Guide, deleting-keys-scheduling-key-deletion.html).
    commands: [kmsCommand('cancel-key-deletion', arn, ctx), kmsCommand('enable-key', arn, ctx)],
    ifNothingIsDone: `KMS deletes the key ${when}, and with it every log it encrypted; until then a key pending deletion cannot be used, so the groups take no new events.`,
  };
  return {
    status: 'at-risk',
    arn,
    state,
    reason: 'key-pending-deletion',
    problem,
    fix,
    ...(deletionDate ? { deletionDate } : {}),
  };
}

function policyRevoked(audit: Extract<KeyAudit, { status: 'enabled' }>, tally: KeyTally, ctx: AuditContext) {
  const principal = logsServicePrincipal(ctx.region);
  const statement = audit.assessment.policyFix;
  const fix: KeyFix = {
    commands: [
      `aws kms get-key-policy --key-id ${audit.arn} --policy-name default --query Policy --output text --region ${ctx.region} > policy.json`,
      statement
        ? '# add the statement below to the Statement list of policy.json'
        : `# remove or narrow the Deny that shuts ${principal} out, in policy.json`,
      `aws kms put-key-policy --key-id ${audit.arn} --policy-name default --policy file://policy.json --region ${ctx.region}`,
    ],
    ...(statement ? { statement } : {}),
    ifNothingIsDone: `CloudWatch Logs cannot use the key for these groups: their logs cannot be read and new events are not ingested.`,
  };
  const problem: Finding<AtRiskCode> = {
    code: 'KEY_POLICY_REVOKED',
    message: `The key policy no longer lets ${principal} use the key for ${tally.atRisk} of its ${tally.groups} group(s).`,
  };
  return { groupsAtRisk: tally.atRisk, problem, fix };
}

function policyUnknownMessage(assessment: KeyAssessment): string {
  const reasons = [...assessment.report.problems, ...assessment.report.warnings]
    .filter((f) => f.code === 'KEY_POLICY_UNREADABLE' || f.code === 'KEY_POLICY_CONDITION_UNEVALUATED')
    .map((f) => f.message);
  return `The key is Enabled, but whether its policy lets CloudWatch Logs use it is unknown: ${reasons.join(' ') || 'the policy could not be judged.'}`;
}

function disabledFix(arn: string, ctx: AuditContext): KeyFix {
  return {
    commands: [kmsCommand('enable-key', arn, ctx)],
    ifNothingIsDone:
      'A disabled key cannot be used in any cryptographic operation: the groups take no new events and their logs cannot be read until the key is enabled again.',
  };
}

function notFoundFix(ctx: AuditContext): KeyFix {
  return {
    commands: [
      `aws logs associate-kms-key --log-group-name <log-group-name> --kms-key-id <target key ARN> --region ${ctx.region}`,
    ],
    ifNothingIsDone:
      'Nothing brings a deleted key back. Associate a working key (UNHEALTHY_KEYS=reassociate does it) so that the groups take new events again.',
  };
}

function unavailableFix(arn: string, state: string, ctx: AuditContext): KeyFix {
  const command =
    state === 'PendingImport'
      ? `aws kms import-key-material --key-id ${arn} --region ${ctx.region} ...  # import the key material again`
      : state === 'Unavailable'
        ? `aws kms connect-custom-key-store --custom-key-store-id <the key's custom key store> --region ${ctx.region}`
        : `aws kms describe-key --key-id ${arn} --region ${ctx.region}`;
  return {
    commands: [command],
    ifNothingIsDone: `While the key is ${state}, CloudWatch Logs cannot use it: the groups take no new events and their logs cannot be read.`,
  };
}

function kmsCommand(verb: string, arn: string, ctx: AuditContext): string {
  return `aws kms ${verb} --key-id ${arn} --region ${ctx.region}`;
}

/** True when the key lives in another account: GetKeyPolicy "cannot be performed on a KMS key in a different AWS account". */
export function isOtherAccountKey(arn: string, account: string): boolean {
  const keyAccount = parseArn(arn)?.account;
  return keyAccount !== undefined && keyAccount !== account;
}
