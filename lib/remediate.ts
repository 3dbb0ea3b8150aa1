/**
 * The orchestrator: scan → assess → decide → apply → report.
 * It talks to AWS only through the ports, so the same code runs against AWS, the emulator
 * and in-memory fakes. It never throws for a single group: every scanned group ends in
 * exactly one bucket of the report.
 */
import type { Config } from './config';
import { AwsCallError, ReportPublishError } from './errors';
import type { RunRequest } from './event';
import { assessKey, type KeyAssessment } from './key-check';
import { logsServicePrincipal } from './key-policy';
import { createPatternSet } from './patterns';
import { decideGroup, hasExcludeTag, type Scope } from './plan';
import { createPool } from './pool';
import type { LogPort, Ports } from './ports';
import { buildReport, renderSnsMessage, reportStatus, shouldPublish } from './report';
import type { GroupOutcome, LogGroup, Report } from './types';

export interface RunContext {
  runId: string;
  /** The account the function runs in: the log groups' account. */
  account: string;
}

export interface RunResult {
  /** The report as published (its group list trimmed to SNS's limit). */
  report: Report;
  published: boolean;
}

export async function runRemediation(
  config: Readonly<Config>,
  request: RunRequest,
  ports: Ports,
  context: RunContext,
): Promise<RunResult> {
  const startedAt = ports.now();
  const dryRun = request.dryRun ?? config.dryRun;
  const log = ports.log;

  const facts = await ports.keys.readKeyFacts(config.kmsKeyId);
  const key = assessKey(facts, config.region, context.account);
  log.info('Key assessed', { key: key.report });

  const scope: Scope = {
    include: createPatternSet(config.includePatterns),
    exclude: createPatternSet(config.excludePatterns),
  };
  const outcomes: GroupOutcome[] = [];
  const record = (outcome: GroupOutcome) => {
    outcomes.push(outcome);
    logOutcome(log, outcome);
  };
  let alreadyEncrypted = 0;
  let reservedRemediations = 0;
  let policyDenied = false;
  let scanError: AwsCallError | undefined;

  const applyToCandidate = async (group: LogGroup): Promise<void> => {
    try {
      if (config.excludeTag) {
        // Tags cost a call per group, so they are read only for groups that would otherwise change.
        const tags = await ports.logGroups.listTags(group.logGroupArn);
        if (hasExcludeTag(tags, config.excludeTag)) {
          record({ outcome: 'excluded', logGroupName: group.logGroupName, reason: 'exclude-tag' });
          return;
        }
      }
      if (request.maxRemediations !== undefined && reservedRemediations >= request.maxRemediations) {
        record({ outcome: 'not-reached', logGroupName: group.logGroupName, reason: 'max-remediations' });
        return;
      }
      reservedRemediations++;
      if (dryRun) {
        record({ outcome: 'would-remediate', logGroupName: group.logGroupName });
        return;
      }
      // CloudWatch Logs needs the key ARN here: a key id or an alias is rejected.
      await ports.logGroups.associateKmsKey(group.logGroupName, key.keyArn as string);
      record({ outcome: 'remediated', logGroupName: group.logGroupName });
    } catch (error) {
      const outcome = classifyGroupError(error, group, key);
      if (outcome.outcome === 'failed' && outcome.errorCode === 'AccessDeniedException') policyDenied = true;
      record(outcome);
    }
  };

  const pool = createPool(config.associateConcurrency);
  try {
    for await (const page of ports.logGroups.scanLogGroups({
      logGroupNamePrefix: request.logGroupNamePrefix,
    })) {
      for (const group of page.groups) {
        const decision = decideGroup(group, scope, key);
        switch (decision.action) {
          case 'count-encrypted':
            alreadyEncrypted++;
            break;
          case 'exclude':
            record({ outcome: 'excluded', logGroupName: group.logGroupName, reason: decision.reason });
            break;
          case 'skip':
            record({
              outcome: 'skipped',
              logGroupName: group.logGroupName,
              reason: decision.reason,
              message: decision.message,
            });
            break;
          case 'remediate':
            await pool.run(() => applyToCandidate(group));
            break;
        }
      }
    }
  } catch (error) {
    // A scan that fails after the SDK's retries ends the run early; what was scanned is still reported.
    scanError =
      error instanceof AwsCallError
        ? error
        : new AwsCallError('DescribeLogGroups', 'other', 'Error', String(error));
    log.error('Scan failed; the report covers the groups scanned so far', { error: scanError });
  }
  await pool.drain();

  const report = buildReport({
    runId: context.runId,
    account: context.account,
    region: config.region,
    dryRun,
    startedAt,
    finishedAt: ports.now(),
    complete: scanError === undefined,
    key: policyDenied ? { ...key.report, policyFix: key.policyFix } : key.report,
    alreadyEncrypted,
    outcomes,
    ...(scanError ? { scanError: { code: scanError.code, message: scanError.awsMessage } } : {}),
  });
  return publish(report, request.report ?? config.reportWhen, config.reportTopicArn, ports);
}

async function publish(
  report: Report,
  when: 'always' | 'findings',
  topicArn: string,
  ports: Ports,
): Promise<RunResult> {
  const sns = renderSnsMessage(report);
  const status = reportStatus(report);
  ports.log.info('Run finished', { status, totals: report.totals, complete: report.complete });
  if (!shouldPublish(report, when)) return { report: sns.report, published: false };
  try {
    await ports.reports.publishReport({
      topicArn,
      subject: sns.subject,
      message: sns.message,
      attributes: sns.attributes,
    });
  } catch (error) {
    // The associations already made stay in place; the full report goes to the logs so nothing is lost.
    ports.log.error('Report could not be published', { report, error });
    throw new ReportPublishError(`Could not publish the report to ${topicArn}`, { cause: error });
  }
  return { report: sns.report, published: true };
}

/** Map a per-group failure to its outcome. Never throws. */
function classifyGroupError(error: unknown, group: LogGroup, key: KeyAssessment): GroupOutcome {
  const logGroupName = group.logGroupName;
  if (!(error instanceof AwsCallError)) {
    return { outcome: 'failed', logGroupName, errorCode: 'InternalError', message: String(error) };
  }
  switch (error.kind) {
    case 'not-found':
      return { outcome: 'skipped', logGroupName, reason: 'group-deleted', message: error.awsMessage };
    case 'access-denied':
      return {
        outcome: 'failed',
        logGroupName,
        errorCode: error.code,
        message: diagnoseAccessDenied(error, group, key),
      };
    default:
      return { outcome: 'failed', logGroupName, errorCode: error.code, message: error.awsMessage };
  }
}

function diagnoseAccessDenied(error: AwsCallError, group: LogGroup, key: KeyAssessment): string {
  if (/not authorized to perform/i.test(error.awsMessage)) {
    return `The function's IAM role may not call ${error.operation}: ${error.awsMessage}`;
  }
  return (
    `The key policy does not let ${logsServicePrincipal(key.logs.region)} use ${key.keyArn} for ` +
    `${group.logGroupArn}; add the statement in key.policyFix to the key policy. AWS said: ${error.awsMessage}`
  );
}

function logOutcome(log: LogPort, outcome: GroupOutcome): void {
  switch (outcome.outcome) {
    case 'remediated':
    case 'would-remediate':
      log.info('Log group outcome', { ...outcome });
      break;
    case 'failed':
      log.error('Log group outcome', { ...outcome });
      break;
    case 'skipped':
    case 'not-reached':
      log.warn('Log group outcome', { ...outcome });
      break;
    case 'excluded':
      log.debug('Log group outcome', { ...outcome });
      break;
  }
}
