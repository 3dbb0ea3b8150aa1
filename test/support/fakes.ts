/**
 * In-memory fakes of the orchestrator's ports: an account with log groups, tags and a key,
 * recording every call so tests can assert what was (and was not) done.
 */
import type { Config } from '../../lib/core/config';
import { AwsCallError, type AwsErrorKind } from '../../lib/core/errors';
import { buildLogsPolicyStatement } from '../../lib/core/key-policy';
import type { LogPort, Ports } from '../../lib/core/ports';
import type { RunMetric } from '../../lib/core/run-metrics';
import type { KeyFacts, KeyReport, LogGroup } from '../../lib/core/types';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:reports`;

export const LOGS_STATEMENT = buildLogsPolicyStatement({
  partition: 'aws',
  region: REGION,
  account: ACCOUNT,
});
export const ROOT_STATEMENT = {
  Sid: 'EnableRootAccess',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

export function policyDocument(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export function goodKey(overrides: Partial<Extract<KeyFacts, { found: true }>> = {}): KeyFacts {
  return {
    found: true,
    requested: KEY_ARN,
    arn: KEY_ARN,
    state: 'Enabled',
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    keyManager: 'CUSTOMER',
    rotationEnabled: true,
    policy: { readable: true, document: policyDocument(ROOT_STATEMENT, LOGS_STATEMENT) },
    ...overrides,
  };
}

/** The key section of a report, for a usable key unless overridden. */
export function keyReport(overrides: Partial<KeyReport> = {}): KeyReport {
  return {
    requested: 'alias/log-encryption',
    arn: KEY_ARN,
    state: 'Enabled',
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    rotationEnabled: true,
    usable: true,
    problems: [],
    warnings: [],
    ...overrides,
  };
}

export function group(name: string, extra: Partial<LogGroup> = {}): LogGroup {
  return { logGroupName: name, logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`, ...extra };
}

export function baseConfig(overrides: Partial<Config> = {}): Config {
  return {
    region: REGION,
    kmsKeyId: KEY_ARN,
    reportTopicArn: TOPIC_ARN,
    dryRun: false,
    includePatterns: [],
    excludePatterns: [],
    reportWhen: 'always',
    maxAttempts: 3,
    associateConcurrency: 4,
    describeLogGroupsTps: 0,
    associateTps: 0,
    associateTpsMax: 50,
    keyCacheSeconds: 300,
    keyAudit: true,
    otherKeys: 'allow',
    unhealthyKeys: 'report',
    securityHub: false,
    ...overrides,
  };
}

export interface FakeAccount {
  groups: LogGroup[];
  tags?: Record<string, Record<string, string>>;
  key?: KeyFacts;
  /** Other keys groups are on, by ARN, for the audit; a key not listed is healthy. */
  keys?: Record<string, KeyFacts>;
  /** Errors to throw from AssociateKmsKey, by group name. */
  associateErrors?: Record<string, { kind: AwsErrorKind; code: string; message: string }>;
  /** Fail the scan with this error after this many pages. */
  scanFailsAfterPages?: number;
  publishFails?: boolean;
  pageSize?: number;
  /** After this many successful associations the key is disabled: later ones fail as AWS would. */
  disableKeyAfter?: number;
}

export interface Calls {
  describePages: number;
  findLogGroup: string[];
  associate: { logGroupName: string; keyArn: string }[];
  listTags: string[];
  readKeyFacts: string[];
  readKeyInUse: { keyArn: string; readPolicy: boolean }[];
  published: { topicArn: string; subject: string; message: string; attributes: Record<string, string> }[];
  metrics: RunMetric[][];
  maxConcurrentAssociations: number;
}

export interface LogLine {
  level: string;
  message: string;
  extra: Record<string, unknown>[];
}

export function createFakePorts(account: FakeAccount): { ports: Ports; calls: Calls; logs: LogLine[] } {
  const calls: Calls = {
    describePages: 0,
    findLogGroup: [],
    associate: [],
    listTags: [],
    readKeyFacts: [],
    readKeyInUse: [],
    published: [],
    metrics: [],
    maxConcurrentAssociations: 0,
  };
  const logs: LogLine[] = [];
  const log =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      logs.push({ level, message, extra });
  const logPort: LogPort = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  let inFlight = 0;
  let associated = 0;
  let keyDisabled = false;
  const pageSize = account.pageSize ?? 50;
  let clock = Date.parse('2026-11-30T10:00:00Z');

  const ports: Ports = {
    log: logPort,
    metrics: { recordRun: (runMetrics) => calls.metrics.push(runMetrics) },
    now: () => {
      clock += 1000;
      return new Date(clock);
    },
    keys: {
      async readKeyFacts(keyId) {
        calls.readKeyFacts.push(keyId);
        if (keyDisabled) return goodKey({ requested: keyId, state: 'Disabled' });
        return account.key ?? goodKey({ requested: keyId });
      },
      async readKeyInUse(keyArn, { readPolicy }) {
        calls.readKeyInUse.push({ keyArn, readPolicy });
        const facts = account.keys?.[keyArn] ?? goodKey({ requested: keyArn, arn: keyArn });
        return facts.found && !readPolicy
          ? { ...facts, policy: { readable: false, errorCode: 'CrossAccount', message: 'not read' } }
          : facts;
      },
    },
    logGroups: {
      async *scanLogGroups({ logGroupNamePrefix, startingToken }) {
        // As DescribeLogGroups does: "ASCII-sorted by log group name".
        const matching = account.groups
          .filter((g) => !logGroupNamePrefix || g.logGroupName.startsWith(logGroupNamePrefix))
          .sort((a, b) => (a.logGroupName < b.logGroupName ? -1 : a.logGroupName > b.logGroupName ? 1 : 0));
        for (let i = Number(startingToken ?? 0); i < matching.length || i === 0; i += pageSize) {
          if (
            account.scanFailsAfterPages !== undefined &&
            calls.describePages >= account.scanFailsAfterPages
          ) {
            throw new AwsCallError('DescribeLogGroups', 'throttled', 'ThrottlingException', 'Rate exceeded');
          }
          calls.describePages++;
          const next = i + pageSize < matching.length ? String(i + pageSize) : undefined;
          yield {
            groups: matching.slice(i, i + pageSize).map((g) => ({ ...g })),
            ...(next ? { nextToken: next } : {}),
          };
        }
      },
      async findLogGroup(logGroupName) {
        calls.findLogGroup.push(logGroupName);
        const found = account.groups.find((g) => g.logGroupName === logGroupName);
        return found ? { ...found } : undefined;
      },
      async associateKmsKey(logGroupName, keyArn) {
        calls.associate.push({ logGroupName, keyArn });
        inFlight++;
        calls.maxConcurrentAssociations = Math.max(calls.maxConcurrentAssociations, inFlight);
        try {
          await new Promise((resolve) => setImmediate(resolve));
          const failure = account.associateErrors?.[logGroupName];
          if (failure) throw new AwsCallError('AssociateKmsKey', failure.kind, failure.code, failure.message);
          if (keyDisabled) {
            throw new AwsCallError(
              'AssociateKmsKey',
              'invalid-parameter',
              'InvalidParameterException',
              'Key is disabled',
            );
          }
          associated++;
          if (account.disableKeyAfter !== undefined && associated >= account.disableKeyAfter)
            keyDisabled = true;
          const target = account.groups.find((g) => g.logGroupName === logGroupName);
          if (target) target.kmsKeyId = keyArn;
        } finally {
          inFlight--;
        }
      },
      async listTags(logGroupArn) {
        calls.listTags.push(logGroupArn);
        const name = account.groups.find((g) => g.logGroupArn === logGroupArn)?.logGroupName ?? '';
        return account.tags?.[name] ?? {};
      },
    },
    reports: {
      async publishReport(message) {
        if (account.publishFails) {
          throw new AwsCallError('Publish', 'not-found', 'NotFoundException', 'Topic does not exist');
        }
        calls.published.push(message);
      },
    },
  };
  return { ports, calls, logs };
}
