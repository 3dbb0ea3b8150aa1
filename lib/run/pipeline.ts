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
import { type Decision, decideGroup, type Scope } from '../core/plan';
import type { Ports, ProgressPort } from '../core/ports';
import { buildReport } from '../core/report';
import { encodeResumeToken, type RunIntent } from '../core/resume-token';
import type { Report } from '../core/types';
import { type Applier, createApplier } from './apply';
import type { AssessedKey } from './assess-key';
import { createKeyAuditor, type KeyAuditor } from './audit-keys';
import { openGroupSource, READ_AHEAD_LEAD_MS } from './group-source';
import { createKeyHealth, type KeyHealth } from './key-health';
import { createPool } from './pool';
import { createRecorder, type Recorder } from './record';
import { deadlineOf, type RunContext } from './run-context';
import { type WalkResult, walkGroups } from './walk';

export async function runPipeline(
  config: Readonly<Config>,
  request: RunRequest,
  ports: Ports,
  context: RunContext,
  key: AssessedKey,
): Promise<Report> {
  const startedAt = ports.now();
  const intent = resolveIntent(config, request);
  const recorder = createRecorder(ports.log, ports.progress);
  const health = createKeyHealth(key.assessment, ports, config, key.account);
  const applier = createApplier({ config, ports, key: key.assessment, health, recorder }, intent);
  const scope: Scope = {
    include: createPatternSet(config.includePatterns),
    exclude: createPatternSet(config.excludePatterns),
  };

  const auditor = createKeyAuditor(config, ports, key);

  const walked = await walkGroups(
    openGroupSource(request, ports, deadlineOf(context, READ_AHEAD_LEAD_MS)),
    request.resumeFrom,
    {
      prepare: (groups) => auditor.prepare(groups),
      decide: (group) => observed(decideGroup(group, scope, key.assessment, auditor.rules), ports.progress),
      apply: (group, candidate) => applier.apply(group, candidate),
      outOfTime: deadlineOf(context),
    },
    { pool: createPool(config.associateConcurrency), recorder },
  );
  if (walked.scanError) {
    ports.log.error('Scan failed; the report covers the groups scanned so far', { error: walked.scanError });
  }

  const resumeToken = walked.stoppedAt
    ? encodeResumeToken({ position: walked.stoppedAt, intent: intentLeft(intent, applier.reserved()) })
    : undefined;
  return assembleReport(
    { config, request, ports, context, key, intent, health, applier, auditor, recorder },
    {
      startedAt,
      walked,
      resumeToken,
    },
  );
}

interface RunParts {
  config: Readonly<Config>;
  request: RunRequest;
  ports: Ports;
  context: RunContext;
  key: AssessedKey;
  intent: RunIntent;
  health: KeyHealth;
  applier: Applier;
  auditor: KeyAuditor;
  recorder: Recorder;
}

function assembleReport(
  parts: RunParts,
  run: { startedAt: Date; walked: WalkResult; resumeToken: string | undefined },
): Report {
  const { config, request, ports, context, key, intent, health, applier, auditor, recorder } = parts;
  const { stoppedAt, scanError } = run.walked;
  const { resumeToken, startedAt, walked } = run;
  const keyReport = health.report();
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
    keysInUse: auditor.keysInUse(recorder.outcomes, intent.dryRun),
    ...(request.keyEvent ? { keyEvent: request.keyEvent } : {}),
    ...(scanError ? { scanError: { code: scanError.code, message: scanError.awsMessage } } : {}),
  });
}

/** Tell the progress port, if any, of a decided group; an already-encrypted one is settled on the spot. */
function observed(decision: Decision, progress: ProgressPort | undefined): Decision {
  progress?.scanned();
  if (decision.action === 'count-encrypted') progress?.settled('already-encrypted');
  return decision;
}
