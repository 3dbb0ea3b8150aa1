/**
 * The orchestrator's view of the outside world. The adapters in `lib/aws/` implement
 * these with the SDK; tests implement them with in-memory fakes.
 * Every method throws AwsCallError (never an SDK error) when AWS says no.
 */
import type { AsffFinding } from './findings';
import type { RunMetric } from './run-metrics';
import type { KeyFacts, LogGroup, LogGroupPage, Outcome, PaceReport } from './types';

export interface LogGroupsPort {
  /** Page through the account's log groups, 50 at a time, streamed. */
  scanLogGroups(options: {
    logGroupNamePrefix?: string;
    startingToken?: string;
  }): AsyncIterable<LogGroupPage>;
  /** One group by its exact name, in a single DescribeLogGroups call; undefined when there is none. */
  findLogGroup(logGroupName: string): Promise<LogGroup | undefined>;
  /** Associate the key with the group. `keyArn` must be a key ARN. */
  associateKmsKey(logGroupName: string, keyArn: string): Promise<void>;
  /** The group's tags, by its ARN without `:*`. */
  listTags(logGroupArn: string): Promise<Record<string, string>>;
  /** How associations were paced since the last reading (the pace outlives a run in a warm container). */
  readPace?(): PaceReport;
}

export interface KeysPort {
  /** Everything the key check needs, in at most three KMS calls. Lookup failures are facts, not errors. */
  readKeyFacts(keyId: string): Promise<KeyFacts>;
  /**
   * What the audit needs of a key groups already use: DescribeKey, and GetKeyPolicy when
   * `readPolicy` (false for another account's key, where GetKeyPolicy cannot work).
   */
  readKeyInUse(keyArn: string, options: { readPolicy: boolean }): Promise<KeyFacts>;
  /** Drop any cached facts, so the next read asks KMS (after a failure that may be the key's). */
  forget?(): void;
}

export interface ReportsPort {
  publishReport(message: {
    topicArn: string;
    subject: string;
    message: string;
    attributes: Record<string, string>;
  }): Promise<void>;
}

/** The subset of the Powertools logger the orchestrator uses. */
export interface LogPort {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface MetricsPort {
  /** Emit the figures of one run. */
  recordRun(metrics: RunMetric[]): void;
}

/** FindingsTopic: where the remediator hands its findings to the findings function. */
export interface FindingsPort {
  publishFindings(topicArn: string, message: string): Promise<void>;
}

/** Security Hub, for the findings function: the product's findings in the account's default product. */
export interface SecurityHubPort {
  /** One BatchImportFindings call (at most 100 findings); the findings it refused. */
  importFindings(findings: readonly AsffFinding[]): Promise<{ failed: RefusedFinding[] }>;
  /** The product's findings that match, page by page (GetFindings, paged). */
  findFindings(filter: FindingsFilter): AsyncIterable<AsffFinding[]>;
  /** One BatchUpdateFindings call: the workflow status of up to 100 findings. */
  setWorkflowStatus(
    findings: readonly Pick<AsffFinding, 'Id' | 'ProductArn'>[],
    status: 'RESOLVED' | 'SUPPRESSED',
  ): Promise<void>;
}

export interface RefusedFinding {
  id: string;
  code: string;
  message: string;
}

export interface FindingsFilter {
  productArn: string;
  generatorId: string;
  /** RecordState ACTIVE findings last updated at or before this time (ISO 8601). */
  updatedAtOrBefore: string;
  resourcePrefix?: string;
  findingId?: string;
}

/** Where a run's progress goes, group by group: the CLI's progress bar. The Lambda has none. */
export interface ProgressPort {
  /** A group came off the scan and is being decided. */
  scanned(): void;
  /** A group's fate is settled: it was already encrypted, or it got this outcome. */
  settled(outcome: Outcome | 'already-encrypted'): void;
}

/**
 * Replaces a key's policy. The operator's CLI only, on the operator's credentials: the function
 * never changes a key policy, and its role is never granted kms:PutKeyPolicy.
 */
export interface KeyPolicyPort {
  /** `document` becomes the key policy; KMS's lockout safety check stays on. */
  putKeyPolicy(keyArn: string, document: string): Promise<void>;
}

export interface Ports {
  /** Present when SECURITY_HUB=on. */
  findings?: FindingsPort;
  logGroups: LogGroupsPort;
  keys: KeysPort;
  reports: ReportsPort;
  metrics: MetricsPort;
  log: LogPort;
  /** Injected so tests control time. */
  now: () => Date;
  /** Optional: told of each group as the run gets through it. */
  progress?: ProgressPort;
}
