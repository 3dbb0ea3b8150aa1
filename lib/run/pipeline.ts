/**
 * The pipeline, given the assessed key: a source of groups → decide each (pure) → apply the
 * decisions (pool, key health) → the report. Plain data flows one way from step to step; it
 * never throws for a single group, and every scanned group ends in exactly one bucket.
 * Publishing, and a sweep's bookkeeping across invocations, belong to the front doors.
 */
import type { Config } from '../core/config';
import type { RunRequest } from '../core/event';
import { intentLeft, resolveIntent } from '../core/intent';
import { createPatternSet } from '../core/patterns';
import { decideGroup, type Scope } from '../core/plan';
import type { Ports } from '../core/ports';
import { buildReport } from '../core/report';
import { encodeResumeToken } from '../core/resume-token';
import type { Report } from '../core/types';
import { createApplier } from './apply';
import type { AssessedKey } from './assess-key';
import { openGroupSource, READ_AHEAD_LEAD_MS } from './group-source';
import { createKeyHealth } from './key-health';
import { createPool } from './pool';
import { createRecorder } from './record';
import { deadlineOf, type RunContext } from './run-context';
import { walkGroups } from './walk';

export async function runPipeline(
  config: Readonly<Config>,
  request: RunRequest,
  ports: Ports,
  context: RunContext,
  key: AssessedKey,
): Promise<Report> {
  const startedAt = ports.now();
  const intent = resolveIntent(config, request);
  const recorder = createRecorder(ports.log);
  const health = createKeyHealth(key.assessment, ports, config, key.account);
  const applier = createApplier({ config, ports, key: key.assessment, health, recorder }, intent);
  const scope: Scope = {
    include: createPatternSet(config.includePatterns),
    exclude: createPatternSet(config.excludePatterns),
  };

  const walked = await walkGroups(
    openGroupSource(request, ports, deadlineOf(context, READ_AHEAD_LEAD_MS)),
    request.resumeFrom,
    {
      decide: (group) => decideGroup(group, scope, key.assessment),
      apply: (group) => applier.apply(group),
      outOfTime: deadlineOf(context),
    },
    { pool: createPool(config.associateConcurrency), recorder },
  );
  if (walked.scanError) {
    ports.log.error('Scan failed; the report covers the groups scanned so far', { error: walked.scanError });
  }

  const keyReport = health.report();
  const { stoppedAt, scanError } = walked;
  const resumeToken = stoppedAt
    ? encodeResumeToken({ position: stoppedAt, intent: intentLeft(intent, applier.reserved()) })
    : undefined;
  return buildReport({
    runId: context.runId,
    account: key.account,
    region: config.region,
    dryRun: intent.dryRun,
    startedAt,
    finishedAt: ports.now(),
    complete: scanError === undefined && stoppedAt === undefined,
    ...(resumeToken ? { resumeToken } : {}),
    key:
      applier.keyPolicyDenied() && key.assessment.policyFix
        ? { ...keyReport, policyFix: key.assessment.policyFix }
        : keyReport,
    alreadyEncrypted: walked.alreadyEncrypted,
    outcomes: recorder.outcomes,
    ...(scanError ? { scanError: { code: scanError.code, message: scanError.awsMessage } } : {}),
    ...(ports.logGroups.readPace ? { pace: ports.logGroups.readPace() } : {}),
  });
}
