/**
 * The front doors onto the pipeline, one per kind of run: a run of its own (manual, scheduled), one
 * invocation of a Step Functions sweep, and a run for one newly created group. Each assesses the
 * key, runs the pipeline, and decides what to publish. The sweep's bookkeeping across invocations
 * lives here, with the sweep's door, not inside every run.
 */
import type { Config } from '../core/config';
import { KeyLookupError } from '../core/errors';
import type { RunRequest } from '../core/event';
import type { Ports } from '../core/ports';
import { computeRealtimeMetrics, computeRunMetrics } from '../core/run-metrics';
import { mergeSweep, type SweepState, sweepReport } from '../core/sweep';
import { assessTargetKey } from './assess-key';
import { runPipeline } from './pipeline';
import { publishReport } from './publish';
import type { RunContext, RunResult } from './run-context';
import { addFindings, shareFindings } from './share-findings';

export type { RunContext, RunResult, SweepContinuation } from './run-context';

/** Run what the request asks for, through the door that fits it. */
export async function runRemediation(
  config: Readonly<Config>,
  request: RunRequest,
  ports: Ports,
  context: RunContext,
): Promise<RunResult> {
  const created = request.createdLogGroup;
  if (created) return runForCreatedGroup(config, { ...request, createdLogGroup: created }, ports, context);
  if (request.sweep) return runSweepInvocation(config, request, request.sweep.state, ports, context);
  return runOnce(config, request, ports, context);
}

/** A manual or scheduled run: one report, published as its report mode says. */
async function runOnce(config: Readonly<Config>, request: RunRequest, ports: Ports, context: RunContext) {
  const key = await assessTargetKey(config, ports, context);
  const run = await runPipeline(config, request, ports, context, key);
  // A resumed run saw only the rest of the account: the groups before its start are not re-imported.
  const resolves = run.complete && request.resumeFrom === undefined;
  const findings = await shareFindings(config, ports, run, {
    outcomes: run.groups,
    resolves,
    ...(resolves ? { resolve: { scope: 'all', startedAt: run.startedAt, ...prefixOf(request) } } : {}),
  });
  const report = findings ? { ...run, findings } : run;
  const when = request.report ?? config.reportWhen;
  return publishReport(report, when, config.reportTopicArn, ports, computeRunMetrics(report));
}

function prefixOf(request: RunRequest): { logGroupNamePrefix?: string } {
  return request.logGroupNamePrefix ? { logGroupNamePrefix: request.logGroupNamePrefix } : {};
}

/** One invocation of a sweep: the sweep publishes once, at its end, with the totals of every invocation. */
async function runSweepInvocation(
  config: Readonly<Config>,
  request: RunRequest,
  state: SweepState | undefined,
  ports: Ports,
  context: RunContext,
): Promise<RunResult> {
  const key = await assessTargetKey(config, ports, context);
  const report = await runPipeline(config, request, ports, context, key);
  const last = report.resumeToken === undefined;
  // Groups left at the deadline go to the next invocation, which makes their findings.
  const outcomes = last
    ? report.groups
    : report.groups.filter((g) => g.outcome !== 'not-reached' || g.reason !== 'deadline');
  const startedAt = state?.startedAt ?? report.startedAt;
  const resolve = last && report.complete;
  const shared = await shareFindings(config, ports, report, {
    outcomes,
    resolves: true,
    ...(resolve ? { resolve: { scope: 'all', startedAt, ...prefixOf(request) } } : {}),
  });
  const findings = addFindings(state?.findings, shared);
  const sweep = { ...mergeSweep(state, report), ...(findings ? { findings } : {}) };
  if (report.resumeToken) {
    ports.log.info('Sweep continues in another invocation', {
      invocations: sweep.invocations,
      totals: sweep.totals,
    });
    return { report, published: false, continuation: { resumeToken: report.resumeToken, sweep } };
  }
  const final = { ...sweepReport(sweep, report), ...(findings ? { findings } : {}) };
  const when = request.report ?? config.reportWhen;
  return publishReport(final, when, config.reportTopicArn, ports, computeRunMetrics(final));
}

/** A new group's run reports only what needs a person: the schedule's sweep reports the rest. */
async function runForCreatedGroup(
  config: Readonly<Config>,
  request: RunRequest & Required<Pick<RunRequest, 'createdLogGroup'>>,
  ports: Ports,
  context: RunContext,
): Promise<RunResult> {
  const key = await assessTargetKey(config, ports, context);
  if (!key.facts.found && key.facts.transient) {
    // No verdict to act on: fail the invocation. Lambda retries an async event's function error twice,
    // after 1 and 2 minutes (Lambda Developer Guide, invocation-async-error-handling.html).
    throw new KeyLookupError(key.facts.requested, key.facts.errorCode, key.facts.message);
  }
  const run = await runPipeline(config, request, ports, context, key);
  const { logGroupName } = request.createdLogGroup;
  const fixed = run.groups.some(
    (g) => g.logGroupName === logGroupName && (g.outcome === 'remediated' || g.outcome === 'reassociated'),
  );
  const findings = await shareFindings(config, ports, run, {
    outcomes: run.groups,
    resolves: fixed,
    ...(fixed ? { resolve: { scope: 'group', startedAt: run.startedAt, logGroupName } } : {}),
  });
  const report = findings ? { ...run, findings } : run;
  const metrics = computeRealtimeMetrics(report, request.createdLogGroup.eventTime);
  return publishReport(report, 'problems', config.reportTopicArn, ports, metrics);
}
