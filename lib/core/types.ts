/**
 * SDK-free domain types. Everything in `lib/` except `lib/aws/` works on these plain shapes,
 * so the pure modules can be tested without any AWS client.
 */

/** A log group as the scan sees it. */
export interface LogGroup {
  logGroupName: string;
  /** The group ARN without the trailing `:*`: the value CloudWatch Logs puts in the encryption context. */
  logGroupArn: string;
  /** Set when the group is already encrypted with a KMS key. */
  kmsKeyId?: string;
  /** `STANDARD`, `INFREQUENT_ACCESS` or `DELIVERY`; absent means STANDARD. */
  logGroupClass?: string;
}

/** One page of DescribeLogGroups. */
export interface LogGroupPage {
  groups: LogGroup[];
  /** The token that continues the scan after this page; absent on the last page. */
  nextToken?: string;
}

/** A key-policy statement, as IAM policy JSON has it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  NotPrincipal?: '*' | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** What KMS said about the target key. Gathered once per run by the KMS adapter. */
export type KeyFacts =
  | {
      found: false;
      requested: string;
      /** The AWS error code, e.g. NotFoundException or AccessDeniedException. */
      errorCode: string;
      message: string;
      /** Throttled or a server fault, after the SDK's retries: it says nothing about the key. */
      transient: boolean;
    }
  | {
      found: true;
      requested: string;
      arn: string;
      state: string;
      keySpec: string;
      keyUsage: string;
      keyManager: string;
      /** Undefined when the rotation status could not be read. */
      rotationEnabled: boolean | undefined;
      /** Set while the key is scheduled for deletion (ISO 8601): when KMS deletes it. */
      deletionDate?: string;
      policy: { readable: true; document: string } | { readable: false; errorCode: string; message: string };
    };

export type KeyProblemCode =
  | 'KEY_NOT_FOUND'
  /** DescribeKey failed for a passing reason (throttling, a fault): the key is unknown, not absent. */
  | 'KEY_LOOKUP_FAILED'
  | 'KEY_NOT_ENABLED'
  | 'KEY_NOT_SYMMETRIC'
  | 'KEY_WRONG_USAGE'
  | 'KEY_NOT_CUSTOMER_MANAGED'
  | 'KEY_OTHER_REGION'
  | 'KEY_POLICY_DENIES_LOGS'
  | 'KEY_POLICY_UNREADABLE';

export type KeyWarningCode =
  | 'KEY_ROTATION_DISABLED'
  | 'KEY_ROTATION_UNKNOWN'
  | 'KEY_POLICY_SCOPED'
  | 'KEY_POLICY_CONDITION_UNEVALUATED';

export interface Finding<Code extends string> {
  code: Code;
  message: string;
}

/** Why a group was left alone on purpose. */
export type ExcludeReason = 'include-patterns' | 'exclude-patterns' | 'exclude-tag';

/** Why a group that needs encryption was not changed. */
export type SkipReason =
  | 'delivery-class'
  | 'key-unusable'
  /** The key could not be checked this time (KEY_LOOKUP_FAILED): nothing was decided about it. */
  | 'key-unchecked'
  | 'key-policy-scope'
  | 'group-deleted';

/** Why a group was scanned but not processed. */
export type NotReachedReason = 'max-remediations' | 'deadline';

/** Why the key a group is encrypted with puts its logs at risk. */
export type AtRiskReason =
  | 'key-disabled'
  | 'key-pending-deletion'
  | 'key-not-found'
  | 'key-policy-revoked'
  | 'key-unavailable';

export type AtRiskCode =
  | 'KEY_DISABLED'
  | 'KEY_PENDING_DELETION'
  | 'KEY_NOT_FOUND'
  | 'KEY_POLICY_REVOKED'
  | 'KEY_UNAVAILABLE';

/** Why a group leaves the key it is on for the target key. */
export type ReassociateReason = 'not-target-key' | AtRiskReason;

/**
 * On a group that was to be moved to the target key and was not (skipped, failed, not reached): the
 * key it is still on, and why it was to move. Without it such a group would read as unencrypted.
 */
export interface MoveFrom {
  kmsKeyId: string;
  reason: ReassociateReason;
}

/**
 * The fate of one scanned group that is listed in the report. Groups encrypted with a healthy key
 * that is allowed are only counted. `kmsKeyId` is the key the group was on when it was scanned: for
 * a reassociated group, the key it came from.
 */
export type GroupOutcome =
  | { outcome: 'remediated'; logGroupName: string }
  | { outcome: 'would-remediate'; logGroupName: string }
  | { outcome: 'excluded'; logGroupName: string; reason: ExcludeReason }
  | { outcome: 'skipped'; logGroupName: string; reason: SkipReason; message?: string; from?: MoveFrom }
  | { outcome: 'failed'; logGroupName: string; errorCode: string; message: string; from?: MoveFrom }
  | { outcome: 'not-reached'; logGroupName: string; reason: NotReachedReason; from?: MoveFrom }
  | { outcome: 'at-risk'; logGroupName: string; reason: AtRiskReason; message: string; kmsKeyId: string }
  | {
      outcome: 'other-key';
      logGroupName: string;
      reason: 'not-target-key';
      message: string;
      kmsKeyId: string;
    }
  | {
      outcome: 'unverified';
      logGroupName: string;
      reason: 'key-unreadable';
      message: string;
      kmsKeyId: string;
    }
  | {
      outcome: 'reassociated' | 'would-reassociate';
      logGroupName: string;
      reason: ReassociateReason;
      message: string;
      kmsKeyId: string;
    };

export type Outcome = GroupOutcome['outcome'];

export interface Totals {
  scanned: number;
  alreadyEncrypted: number;
  remediated: number;
  wouldRemediate: number;
  excluded: number;
  skipped: number;
  failed: number;
  notReached: number;
  atRisk: number;
  otherKey: number;
  unverified: number;
  reassociated: number;
  wouldReassociate: number;
}

/** What to do about an at-risk key, and what follows if nothing is done. */
export interface KeyFix {
  /** AWS CLI commands, in order. */
  commands: string[];
  /** The statement to add to the key policy, where the policy is what shuts CloudWatch Logs out. */
  statement?: PolicyStatement;
  ifNothingIsDone: string;
}

export type KeyInUseVerdict = 'target' | 'healthy' | 'at-risk' | 'unverified';

/** One key that scanned groups are encrypted with (the target key always has one). */
export interface KeyInUse {
  arn: string;
  /** Scanned groups encrypted with it. */
  groups: number;
  verdict: KeyInUseVerdict;
  /** Its KMS key state; null when it could not be read. */
  state: string | null;
  deletionDate?: string;
  /** Groups on it that are at risk (all of them, but for a policy that shuts out only some). */
  groupsAtRisk?: number;
  problem?: Finding<AtRiskCode | 'KEY_UNREADABLE'>;
  fix?: KeyFix;
  /** Groups this run moved (or, in a dry run, would move) off this key to the target key. */
  reassociated?: number;
  warning?: string;
}

/** The key section of the report. */
export interface KeyReport {
  requested: string;
  arn: string | null;
  state: string | null;
  keySpec: string | null;
  keyUsage: string | null;
  rotationEnabled: boolean | null;
  usable: boolean;
  problems: Finding<KeyProblemCode>[];
  warnings: Finding<KeyWarningCode>[];
  policyFix?: PolicyStatement;
}

/** How the run paced AssociateKmsKey. */
export interface PaceReport {
  /** The highest rate the adaptive pace reached, calls per second; 0 when unpaced or nothing to associate. */
  associateTpsReached: number;
  /** AssociateKmsKey calls AWS throttled, those the SDK retried included. */
  throttles: number;
}

/** The report: a stable contract for subscribers (schemaVersion 2; the README lists the changes from 1). */
export interface Report {
  schemaVersion: 2;
  runId: string;
  account: string;
  region: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  /** False when the run stopped early (deadline); `resumeToken` then continues it. */
  complete: boolean;
  resumeToken?: string;
  /** For a sweep of several invocations (Step Functions), how many it took. */
  invocations?: number;
  /** Set when the scan itself failed after retries; the report then covers the groups scanned so far. */
  scanError?: { code: string; message: string };
  key: KeyReport;
  totals: Totals;
  /** Every key the scanned groups are encrypted with, the target key first. */
  keysInUse: KeyInUse[];
  /** Keys left out of `keysInUse` to keep the report within its size limits (healthy ones first). */
  keysInUseOmitted?: number;
  /** The key event (CloudTrail) that started this run, when one did. */
  keyEvent?: { eventName: string; keyId: string; eventTime: string };
  groups: GroupOutcome[];
  /** How many group entries were left out to keep the SNS message under its size limit. */
  groupsOmitted: number;
  /** How associations were paced; absent when the adapter does not say. */
  pace?: PaceReport;
  /** With SECURITY_HUB=on: the findings sent to FindingsTopic for import, and why not, if they were not. */
  findings?: FindingsSection;
}

/**
 * Findings sent to the findings function. Security Hub's own answer comes after the report: a
 * refusal is told on the report topic by a notice of its own.
 */
export interface FindingsSection {
  published: number;
  error?: string;
}

export type ReportStatus = 'compliant' | 'remediated' | 'findings' | 'at-risk' | 'failed' | 'key-unusable';

/** When a sweep or manual run publishes its report: REPORT_WHEN, or an event's `report`. */
export type ReportMode = 'always' | 'findings';

/** `problems` (failures, an unusable key) is for the runs a new log group triggers; it cannot be configured. */
export type ReportWhen = ReportMode | 'problems';
