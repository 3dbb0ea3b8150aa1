/**
 * The orchestrator: scan → assess → decide → apply → report.
 * It talks to AWS only through the ports, so the same code runs against AWS, the emulator
 * and in-memory fakes. It never throws for a single group: every scanned group ends in
 * exactly one bucket of the report.
 */
import { parseArn } from './arn';
import type { Config } from './config';
import { AwsCallError, ReportPublishError } from './errors';
import type { RunRequest } from './event';
import { assessKey, type KeyAssessment } from './key-check';
import { logsServicePrincipal } from './key-policy';
import { createPatternSet } from './patterns';
import { decideGroup, hasExcludeTag, type Scope } from './plan';
import { createPool } from './pool';
import type { LogPort, Ports } from './ports';
import { prefetch } from './prefetch';
import { buildReport, renderSnsMessage, reportStatus, shouldPublish } from './report';
import { encodeResumeToken, type ScanPosition } from './resume-token';
import { computeRealtimeMetrics, computeRunMetrics, type RunMetric } from './run-metrics';
import { mergeSweep, type SweepState, sweepReport } from './sweep';
import type {
  Finding,
  GroupOutcome,
  KeyProblemCode,
  KeyReport,
  LogGroup,
  LogGroupPage,
  Report,
  ReportWhen,
} from './types';

/** Time kept back from the Lambda deadline to finish in-flight calls and publish the report. */
export const DEADLINE_MARGIN_MS = 20_000;

/**
 * DescribeLogGroups pages read ahead of the decisions, so scanning overlaps the associations.
 * Few: pages read ahead of a deadline are dropped and read again by the next invocation.
 */
export const PREFETCH_PAGES = 3;

/** Association failures pointing at the key between two checks of the key. */
export const KEY_FAILURE_THRESHOLD = 3;

/** Checks of the key a run may make after its first, so a policy that keeps refusing costs few KMS calls. */
export const MAX_KEY_RECHECKS = 5;

export interface RunContext {
  runId: string;
  /** The account the function runs in: the log groups' account. Unknown outside Lambda: the key's is used. */
  account?: string;
  /** Lambda's `getRemainingTimeInMillis`; without it the run has no deadline. */
  remainingTimeMs?: () => number;
}

export interface RunResult {
  /** The report as published (its group list trimmed to SNS's limit). */
  report: Report;
  published: boolean;
  /** In a sweep that is not finished: what the next invocation needs. */
  continuation?: SweepContinuation;
}

/** What Step Functions passes to the next invocation of a sweep. */
export interface SweepContinuation {
  resumeToken: string;
  sweep: SweepState;
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
  const outOfTime = () => (context.remainingTimeMs ? context.remainingTimeMs() < DEADLINE_MARGIN_MS : false);

  const facts = await ports.keys.readKeyFacts(config.kmsKeyId);
  const account =
    context.account ?? parseArn(facts.found ? facts.arn : facts.requested)?.account ?? 'unknown';
  const key = assessKey(facts, config.region, account);
  log.info('Key assessed', { key: key.report });
  const keyHealth = createKeyHealth(key, ports, config, account);

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
  let stoppedAt: ScanPosition | undefined;

  const applyToCandidate = async (group: LogGroup): Promise<void> => {
    const logGroupName = group.logGroupName;
    try {
      if (config.excludeTag) {
        // Tags cost a call per group, so they are read only for groups that would otherwise change.
        const tags = await ports.logGroups.listTags(group.logGroupArn);
        if (hasExcludeTag(tags, config.excludeTag)) {
          record({ outcome: 'excluded', logGroupName, reason: 'exclude-tag' });
          return;
        }
      }
      if (request.maxRemediations !== undefined && reservedRemediations >= request.maxRemediations) {
        record({ outcome: 'not-reached', logGroupName, reason: 'max-remediations' });
        return;
      }
      if (keyHealth.wentBad()) {
        record({ outcome: 'skipped', logGroupName, reason: 'key-unusable', message: keyHealth.reason() });
        return;
      }
      reservedRemediations++;
      if (dryRun) {
        record({ outcome: 'would-remediate', logGroupName });
        return;
      }
      // CloudWatch Logs needs the key ARN here: a key id or an alias is rejected.
      await ports.logGroups.associateKmsKey(logGroupName, key.keyArn as string);
      keyHealth.succeeded();
      record({ outcome: 'remediated', logGroupName });
    } catch (error) {
      // A failure explained by the key going bad is the key's problem, not the group's.
      if (await keyHealth.isKeyFailure(error)) {
        record({ outcome: 'skipped', logGroupName, reason: 'key-unusable', message: keyHealth.reason() });
        return;
      }
      const outcome = classifyGroupError(error, group, key);
      if (outcome.outcome === 'failed' && outcome.errorCode === 'AccessDeniedException') policyDenied = true;
      record(outcome);
    }
  };

  const pool = createPool(config.associateConcurrency);
  const resume = request.resumeFrom;
  let pageToken = resume?.pageToken;
  let skip = resume?.skip ?? 0;
  try {
    const pages = request.createdLogGroup
      ? findCreatedGroup(ports, request.createdLogGroup.logGroupName, record)
      : prefetch(
          ports.logGroups.scanLogGroups({
            ...(request.logGroupNamePrefix ? { logGroupNamePrefix: request.logGroupNamePrefix } : {}),
            ...(pageToken ? { startingToken: pageToken } : {}),
          }),
          PREFETCH_PAGES,
        );
    scan: for await (const page of pages) {
      for (const [index, group] of page.groups.entries()) {
        // The groups a resumed run's predecessor already accounted for.
        if (index < skip) continue;
        if (outOfTime()) {
          stoppedAt = { skip: index, ...(pageToken ? { pageToken } : {}), ...prefixOf(request) };
          for (const left of page.groups.slice(index)) {
            record({ outcome: 'not-reached', logGroupName: left.logGroupName, reason: 'deadline' });
          }
          break scan;
        }
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
      skip = 0;
      pageToken = page.nextToken;
      if (pageToken && outOfTime()) {
        stoppedAt = { skip: 0, pageToken, ...prefixOf(request) };
        break;
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

  const keyReport = keyHealth.report();
  const report = buildReport({
    runId: context.runId,
    account,
    region: config.region,
    dryRun,
    startedAt,
    finishedAt: ports.now(),
    complete: scanError === undefined && stoppedAt === undefined,
    ...(stoppedAt ? { resumeToken: encodeResumeToken(stoppedAt) } : {}),
    key: policyDenied && key.policyFix ? { ...keyReport, policyFix: key.policyFix } : keyReport,
    alreadyEncrypted,
    outcomes,
    ...(scanError ? { scanError: { code: scanError.code, message: scanError.awsMessage } } : {}),
  });
  const topicArn = config.reportTopicArn;
  // A new group's run reports only what needs a person: the schedule's sweep reports the rest.
  if (request.createdLogGroup) {
    const metrics = computeRealtimeMetrics(report, request.createdLogGroup.eventTime);
    return publish(report, 'problems', topicArn, ports, metrics);
  }
  const reportWhen = request.report ?? config.reportWhen;
  if (!request.sweep) return publish(report, reportWhen, topicArn, ports, computeRunMetrics(report));

  // A sweep publishes once, at its end, with the totals of every invocation.
  const sweep = mergeSweep(request.sweep.state, report);
  if (report.resumeToken) {
    log.info('Sweep continues in another invocation', {
      invocations: sweep.invocations,
      totals: sweep.totals,
    });
    return { report, published: false, continuation: { resumeToken: report.resumeToken, sweep } };
  }
  const sweepFinal = sweepReport(sweep, report);
  return publish(sweepFinal, reportWhen, topicArn, ports, computeRunMetrics(sweepFinal));
}

/**
 * The one page of a CloudTrail-triggered run: the created group as it is now, found with a single
 * DescribeLogGroups call. A group deleted since its creation is accounted for as skipped.
 */
async function* findCreatedGroup(
  ports: Ports,
  logGroupName: string,
  record: (outcome: GroupOutcome) => void,
): AsyncIterable<LogGroupPage> {
  const group = await ports.logGroups.findLogGroup(logGroupName);
  if (!group) {
    record({
      outcome: 'skipped',
      logGroupName,
      reason: 'group-deleted',
      message: 'The log group no longer exists: it was deleted after it was created.',
    });
  }
  yield { groups: group ? [group] : [] };
}

function prefixOf(request: RunRequest): { logGroupNamePrefix?: string } {
  return request.logGroupNamePrefix ? { logGroupNamePrefix: request.logGroupNamePrefix } : {};
}

/**
 * Watches associations for signs that the key itself went bad mid-run (disabled, scheduled
 * for deletion, deleted). On such a failure it checks the key again, at most once per
 * KEY_FAILURE_THRESHOLD failures; once the key is unusable, the remaining groups are skipped
 * instead of failing one by one.
 */
function createKeyHealth(initial: KeyAssessment, ports: Ports, config: Readonly<Config>, account: string) {
  let failuresSinceCheck: number | undefined;
  let recheck: Promise<void> | undefined;
  let bad: { problems: Finding<KeyProblemCode>[]; reason: string } | undefined;

  let checksLeft = MAX_KEY_RECHECKS;

  const checkKeyAgain = async () => {
    checksLeft--;
    ports.keys.forget?.();
    const facts = await ports.keys.readKeyFacts(config.kmsKeyId);
    // A lookup that failed for another reason than "not found" (throttling, say) proves nothing.
    if (!facts.found && facts.errorCode !== 'NotFoundException') return;
    const now = assessKey(facts, config.region, account);
    if (now.usable) return;
    const problems = now.report.problems.filter((p) => p.code !== 'KEY_POLICY_UNREADABLE');
    bad = {
      problems,
      reason: `The key became unusable during the run: ${problems.map((p) => p.message).join(' ')}`,
    };
    ports.log.error('Key became unusable mid-run; skipping the remaining groups', { problems });
  };

  return {
    wentBad: () => bad !== undefined,
    reason: () => bad?.reason ?? '',
    succeeded() {
      failuresSinceCheck = undefined;
    },
    /** Whether this association failure is explained by the key having gone bad. */
    async isKeyFailure(error: unknown): Promise<boolean> {
      const kind = error instanceof AwsCallError ? error.kind : 'other';
      if (kind !== 'invalid-parameter' && kind !== 'access-denied') return false;
      if (
        !bad &&
        !recheck &&
        checksLeft > 0 &&
        (failuresSinceCheck === undefined || failuresSinceCheck >= KEY_FAILURE_THRESHOLD)
      ) {
        failuresSinceCheck = 0;
        recheck = checkKeyAgain().finally(() => {
          recheck = undefined;
        });
      } else if (failuresSinceCheck !== undefined) {
        failuresSinceCheck++;
      }
      await recheck?.catch(() => undefined);
      return bad !== undefined;
    },
    report(): KeyReport {
      if (!bad) return initial.report;
      const became = bad.problems.map((p) => ({ ...p, message: `During the run: ${p.message}` }));
      return { ...initial.report, usable: false, problems: [...initial.report.problems, ...became] };
    },
  };
}

/** Emit the run's metrics, then publish the report if `when` asks for it. */
async function publish(
  report: Report,
  when: ReportWhen,
  topicArn: string,
  ports: Ports,
  metrics: RunMetric[],
): Promise<RunResult> {
  const sns = renderSnsMessage(report);
  const status = reportStatus(report);
  ports.log.info('Run finished', { status, totals: report.totals, complete: report.complete });
  ports.metrics.recordRun(metrics);
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

/** One structured line per group, so nothing is lost when the SNS report is trimmed. */
function logOutcome(log: LogPort, outcome: GroupOutcome): void {
  // Nested: Powertools reserves top-level keys such as "message" and would drop ours.
  const line = { logGroup: outcome };
  switch (outcome.outcome) {
    case 'remediated':
    case 'would-remediate':
      log.info('Log group outcome', line);
      break;
    case 'failed':
      log.error('Log group outcome', line);
      break;
    case 'skipped':
    case 'not-reached':
      log.warn('Log group outcome', line);
      break;
    case 'excluded':
      log.debug('Log group outcome', line);
      break;
  }
}
