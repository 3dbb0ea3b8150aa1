/**
 * Pure: the run's outcomes as AWS Security Finding Format (ASFF) findings for Security Hub, and
 * the messages that carry them from the remediator to the findings function (FindingsTopic).
 *
 * One finding per group that is not compliant, with an Id that is the same for that group in
 * every run, so a re-import updates the finding instead of adding one. Compliant groups
 * (already encrypted with an allowed healthy key, remediated, reassociated) produce nothing: a
 * finding they had is resolved by the findings function (see lib/run/import-findings.ts).
 */
import type { GroupOutcome, KeyInUse, MoveFrom, PolicyStatement } from './types';

/** The ASFF version Security Hub takes (ASFF, "SchemaVersion"). */
export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** Every finding of the product carries it: GetFindings filters on it to find the product's own. */
export const GENERATOR_ID = 'logs-kms-remediator/log-group-encryption';
/**
 * BatchImportFindings takes up to 100 findings a batch, 240 KB a finding, 6 MB a batch
 * (Security Hub partner guide, "Guidelines for using the BatchImportFindings API"). One message
 * holds one batch, so the findings function makes one call per message.
 */
export const FINDINGS_PER_BATCH = 100;
export const FINDING_MAX_BYTES = 240_000;
/** SNS takes messages up to 256 KiB (262,144 bytes); the rest is kept for the envelope. */
export const FINDINGS_MESSAGE_MAX_BYTES = 250_000;
// ASFF field lengths (AWS Security Finding Format syntax: Id 512, Title 256, Description 1024,
// Remediation.Recommendation.Text 512 characters).
const ID_MAX = 512;
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 1024;
const RECOMMENDATION_MAX = 512;

export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type ComplianceStatus = 'PASSED' | 'WARNING' | 'FAILED' | 'NOT_AVAILABLE';

/** The subset of ASFF the product writes, SDK-free. */
export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  GeneratorId: string;
  AwsAccountId: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  Severity: { Label: SeverityLabel };
  /**
   * After a finding is created, providers update Severity and Types only through these
   * (BatchImportFindings API reference).
   */
  FindingProviderFields: { Severity: { Label: SeverityLabel }; Types: string[] };
  Title: string;
  Description: string;
  Resources: {
    Type: 'Other';
    Id: string;
    Partition: string;
    Region: string;
    Details?: { Other: Record<string, string> };
  }[];
  Compliance: { Status: ComplianceStatus };
  Remediation?: { Recommendation: { Text: string } };
  RecordState: 'ACTIVE' | 'ARCHIVED';
  /** Set on creation only: BatchImportFindings cannot change Workflow afterwards (its API reference). */
  Workflow?: { Status: 'NEW' | 'SUPPRESSED' };
  ProductFields?: Record<string, string>;
}

/** What a finding needs besides the group's outcome. */
export interface FindingsContext {
  partition: string;
  region: string;
  account: string;
  /** The run's time (ISO 8601): CreatedAt and UpdatedAt of every finding it imports. */
  at: string;
  /** The target key's ARN, when known: the fix for an unencrypted group. */
  targetKeyArn: string | null;
  keysInUse: readonly KeyInUse[];
  /** The statement to add to the target key's policy, when the policy shut CloudWatch Logs out. */
  policyFix?: PolicyStatement;
  exclusion: { includePatterns: readonly string[]; excludePatterns: readonly string[]; excludeTag?: string };
}

export function productArnOf(partition: string, region: string, account: string): string {
  return `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`;
}

export function logGroupArnOf(ctx: Pick<FindingsContext, 'partition' | 'region' | 'account'>, name: string) {
  return `arn:${ctx.partition}:logs:${ctx.region}:${ctx.account}:log-group:${name}`;
}

/**
 * The same for a group in every run. A group name takes up to 512 characters: past ASFF's Id
 * limit the name is replaced by a hash of it (FNV-1a, 64 bits, with the length), stable as well.
 */
export function findingIdOf(region: string, account: string, logGroupName: string): string {
  const plain = `logs-kms-remediator/${region}/${account}/${logGroupName}`;
  if (plain.length <= ID_MAX) return plain;
  return `logs-kms-remediator/${region}/${account}/sha-fnv1a64-${fnv1a64(logGroupName)}-${logGroupName.length}`;
}

function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const unit of new TextEncoder().encode(text)) {
    hash ^= BigInt(unit);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

const TYPE_UNENCRYPTED =
  'Software and Configuration Checks/AWS Security Best Practices/Log group not encrypted with a customer-managed key';
const TYPE_KEY_AT_RISK =
  'Software and Configuration Checks/AWS Security Best Practices/Log group key at risk';
const TYPE_OTHER_KEY =
  'Software and Configuration Checks/Industry and Regulatory Standards/Log group on a key that is not the approved one';
const TYPE_UNVERIFIED =
  'Software and Configuration Checks/AWS Security Best Practices/Log group key could not be verified';
const TYPE_EXCLUDED =
  'Software and Configuration Checks/AWS Security Best Practices/Log group excluded from encryption';

/** What the finding says about a group, before the fields common to every finding. */
interface Verdict {
  type: string;
  severity: SeverityLabel;
  compliance: ComplianceStatus;
  title: string;
  description: string;
  fix?: string;
  suppressed?: boolean;
  details: Record<string, string>;
}

/** The findings of a run: one per group that is not compliant, in the outcomes' order. */
export function buildFindings(outcomes: readonly GroupOutcome[], ctx: FindingsContext): AsffFinding[] {
  const findings: AsffFinding[] = [];
  for (const outcome of outcomes) {
    const verdict = judgeOutcome(outcome, ctx);
    if (verdict) findings.push(toFinding(outcome.logGroupName, verdict, ctx));
  }
  return findings;
}

function toFinding(name: string, v: Verdict, ctx: FindingsContext): AsffFinding {
  const types = [v.type];
  const finding: AsffFinding = {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: findingIdOf(ctx.region, ctx.account, name),
    ProductArn: productArnOf(ctx.partition, ctx.region, ctx.account),
    GeneratorId: GENERATOR_ID,
    AwsAccountId: ctx.account,
    Types: types,
    CreatedAt: ctx.at,
    UpdatedAt: ctx.at,
    Severity: { Label: v.severity },
    FindingProviderFields: { Severity: { Label: v.severity }, Types: types },
    Title: clip(v.title, TITLE_MAX),
    Description: clip(v.description, DESCRIPTION_MAX),
    Resources: [
      {
        // ASFF has no resource type for a log group: Other, with the details in Details.Other.
        Type: 'Other',
        Id: logGroupArnOf(ctx, name),
        Partition: ctx.partition,
        Region: ctx.region,
        Details: { Other: clipValues({ logGroupName: name, ...v.details }) },
      },
    ],
    Compliance: { Status: v.compliance },
    RecordState: 'ACTIVE',
    Workflow: { Status: v.suppressed ? 'SUPPRESSED' : 'NEW' },
    ProductFields: { 'logs-kms-remediator/logGroupName': clip(name, 1024) },
  };
  if (v.fix) finding.Remediation = { Recommendation: { Text: clip(v.fix, RECOMMENDATION_MAX) } };
  return finding;
}

function movedNotVerdict(name: string, from: MoveFrom, why: string, ctx: FindingsContext): Verdict {
  const message = `It was to be moved to the target key and was not (${why}).`;
  return from.reason === 'not-target-key'
    ? otherKeyVerdict(name, from.kmsKeyId, message, ctx)
    : atRiskVerdict(name, from.kmsKeyId, from.reason, message, ctx);
}

function describeMiss(o: Extract<GroupOutcome, { outcome: 'skipped' | 'failed' | 'not-reached' }>): string {
  return o.outcome === 'failed' ? `${o.errorCode}: ${o.message}` : o.reason;
}

/** The verdict on one outcome; undefined for a group that is compliant. */
function judgeOutcome(o: GroupOutcome, ctx: FindingsContext): Verdict | undefined {
  switch (o.outcome) {
    case 'remediated':
    case 'reassociated':
      return undefined;
    case 'skipped':
    case 'failed':
    case 'not-reached':
      // A group that was to move to the target key and did not is still on its old key, not unencrypted.
      if (o.from) return movedNotVerdict(o.logGroupName, o.from, `${o.outcome}: ${describeMiss(o)}`, ctx);
      return unencryptedVerdict(o, ctx);
    case 'would-remediate':
      return unencryptedVerdict(o, ctx);
    case 'excluded':
      return excludedVerdict(o, ctx);
    case 'at-risk':
      return atRiskVerdict(o.logGroupName, o.kmsKeyId, o.reason, o.message, ctx);
    case 'would-reassociate':
      return o.reason === 'not-target-key'
        ? otherKeyVerdict(o.logGroupName, o.kmsKeyId, o.message, ctx)
        : atRiskVerdict(o.logGroupName, o.kmsKeyId, o.reason, o.message, ctx);
    case 'other-key':
      return otherKeyVerdict(o.logGroupName, o.kmsKeyId, o.message, ctx);
    case 'unverified':
      return unverifiedVerdict(o.logGroupName, o.kmsKeyId, o.message);
  }
}

type Unencrypted = Extract<
  GroupOutcome,
  { outcome: 'would-remediate' | 'skipped' | 'failed' | 'not-reached' }
>;

function unencryptedVerdict(o: Unencrypted, ctx: FindingsContext): Verdict {
  const why =
    o.outcome === 'would-remediate'
      ? 'A dry run found it; a live run would associate the target key.'
      : o.outcome === 'failed'
        ? `Associating the target key failed: ${o.errorCode}: ${o.message}`
        : o.outcome === 'skipped'
          ? `It was skipped (${o.reason})${o.message ? `: ${o.message}` : ''}.`
          : `The run did not reach it (${o.reason}).`;
  const policyProblem =
    o.outcome === 'skipped' && (o.reason === 'key-policy-scope' || o.reason === 'key-unusable');
  const fix =
    policyProblem && ctx.policyFix
      ? `Add this statement to the target key's policy, then run the remediator again: ${JSON.stringify(ctx.policyFix)}`
      : associateCommand(o.logGroupName, ctx);
  return {
    type: TYPE_UNENCRYPTED,
    severity: 'MEDIUM',
    compliance: 'FAILED',
    title: `Log group ${o.logGroupName} is not encrypted with a customer-managed KMS key`,
    description: `CloudWatch Logs log group ${o.logGroupName} has no customer-managed KMS key. ${why}`,
    fix,
    details: { outcome: o.outcome, ...('reason' in o ? { reason: o.reason } : {}) },
  };
}

function excludedVerdict(o: Extract<GroupOutcome, { outcome: 'excluded' }>, ctx: FindingsContext): Verdict {
  const { includePatterns, excludePatterns, excludeTag } = ctx.exclusion;
  const rule =
    o.reason === 'exclude-tag'
      ? `the tag EXCLUDE_TAG=${excludeTag ?? ''}`
      : o.reason === 'exclude-patterns'
        ? `EXCLUDE_PATTERNS (${excludePatterns.join(', ')})`
        : `INCLUDE_PATTERNS (${includePatterns.join(', ')}), which it does not match`;
  return {
    type: TYPE_EXCLUDED,
    // Not compliant, on purpose: the exception is the SUPPRESSED workflow, not a lower severity.
    severity: 'MEDIUM',
    compliance: 'FAILED',
    title: `Log group ${o.logGroupName} is excluded from encryption`,
    description: `Log group ${o.logGroupName} is left unencrypted on purpose, by ${rule}. Recorded so that an auditor sees the exception.`,
    fix: `If the exception no longer holds, remove it (${o.reason}), and the next run encrypts the group.`,
    suppressed: true,
    details: { outcome: 'excluded', reason: o.reason },
  };
}

function atRiskVerdict(
  name: string,
  keyArn: string,
  reason: string,
  message: string,
  ctx: FindingsContext,
): Verdict {
  const key = ctx.keysInUse.find((k) => k.arn === keyArn);
  const deletion = key?.deletionDate ? ` KMS deletes the key on ${key.deletionDate}.` : '';
  const fix = key?.fix
    ? [...key.fix.commands, ...(key.fix.statement ? [JSON.stringify(key.fix.statement)] : [])].join(' ; ')
    : associateCommand(name, ctx);
  return {
    type: TYPE_KEY_AT_RISK,
    severity: reason === 'key-pending-deletion' ? 'CRITICAL' : 'HIGH',
    compliance: 'FAILED',
    title: `Log group ${name} is encrypted with a key at risk (${reason})`,
    description: `Log group ${name} is encrypted with ${keyArn}, state ${key?.state ?? 'unknown'}: ${message}${deletion}${key?.fix ? ` If nothing is done: ${key.fix.ifNothingIsDone}` : ''}`,
    fix,
    details: {
      outcome: 'at-risk',
      reason,
      kmsKeyId: keyArn,
      keyState: key?.state ?? 'unknown',
      ...(key?.deletionDate ? { deletionDate: key.deletionDate } : {}),
    },
  };
}

function otherKeyVerdict(name: string, keyArn: string, message: string, ctx: FindingsContext): Verdict {
  return {
    type: TYPE_OTHER_KEY,
    severity: 'LOW',
    compliance: 'FAILED',
    title: `Log group ${name} is encrypted with a key that is not the approved one`,
    description: `Log group ${name} is encrypted with ${keyArn}, a healthy key that is not the target key. ${message}`,
    fix: `${associateCommand(name, ctx)} (or, if that key is approved, set OTHER_KEYS=allow)`,
    details: { outcome: 'other-key', kmsKeyId: keyArn },
  };
}

function unverifiedVerdict(name: string, keyArn: string, message: string): Verdict {
  return {
    type: TYPE_UNVERIFIED,
    severity: 'INFORMATIONAL',
    // WARNING: "some information is missing" (ASFF Compliance.Status): the key could not be read.
    compliance: 'WARNING',
    title: `The key of log group ${name} could not be verified`,
    description: `Log group ${name} is encrypted with ${keyArn}, which the remediator could not read: ${message}`,
    fix: `Let the remediator's role call kms:DescribeKey and kms:GetKeyPolicy on ${keyArn} (in that key's policy).`,
    details: { outcome: 'unverified', kmsKeyId: keyArn },
  };
}

function associateCommand(name: string, ctx: FindingsContext): string {
  const key = ctx.targetKeyArn ?? '<target key ARN>';
  return `aws logs associate-kms-key --region ${ctx.region} --log-group-name '${name}' --kms-key-id ${key}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** ASFF Details.Other values hold fewer than 1024 characters. */
function clipValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, value]) => [k, clip(value, 1023)]));
}

/**
 * A finding whose group is compliant now, as the findings function imports it to resolve it:
 * only the fields a provider writes (GetFindings also returns Security Hub's and the customer's,
 * such as Workflow and Note, which BatchImportFindings cannot update), with Compliance PASSED and
 * RecordState ARCHIVED.
 */
export function resolvedFinding(found: AsffFinding, at: string): AsffFinding {
  const provider: (keyof AsffFinding)[] = [
    'SchemaVersion',
    'Id',
    'ProductArn',
    'GeneratorId',
    'AwsAccountId',
    'Types',
    'CreatedAt',
    'Severity',
    'FindingProviderFields',
    'Title',
    'Description',
    'Resources',
    'Remediation',
    'ProductFields',
  ];
  const kept = Object.fromEntries(provider.filter((k) => found[k] !== undefined).map((k) => [k, found[k]]));
  // Security Hub adds its own "aws/..." product fields; only the product's own go back.
  const own = Object.entries(found.ProductFields ?? {}).filter(([k]) => k.startsWith('logs-kms-remediator/'));
  return {
    ...(kept as unknown as AsffFinding),
    ...(own.length > 0 ? { ProductFields: Object.fromEntries(own) } : { ProductFields: undefined }),
    UpdatedAt: at,
    Compliance: { Status: 'PASSED' },
    RecordState: 'ARCHIVED',
  };
}
