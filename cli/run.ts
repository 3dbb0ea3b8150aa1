/**
 * plan and apply: the function's pipeline from a laptop, a dry run or a live one, with the same
 * report the function builds. The report is printed (JSON on stdout with --json, text on stderr),
 * never published; a live run asks first, or takes --yes.
 */
import { randomUUID } from 'node:crypto';
import type { RunRequest } from '../lib/core/event';
import type { Ports } from '../lib/core/ports';
import { renderText, reportStatus } from '../lib/core/report';
import type { Report } from '../lib/core/types';
import { assessTargetKey } from '../lib/run/assess-key';
import { runPipeline } from '../lib/run/pipeline';
import { EXIT } from './exit-codes';
import { confirmed } from './fix-key-policy';
import type { Io } from './io';
import { createProgressBar } from './progress';
import { cacheDir, openScanMemory, scanScope } from './scan-memory';
import type { Session } from './session';

export interface RunOptions {
  request: RunRequest;
  yes: boolean;
  json: boolean;
  /** Draw the progress bar (a terminal, no --json, no --verbose). */
  progress: boolean;
}

export async function runPlanOrApply(session: Session, io: Io, options: RunOptions): Promise<number> {
  const { request } = options;
  const dryRun = request.dryRun === true;
  if (!dryRun && !(await confirmed(io, options.yes, describeApply(session, request))))
    return EXIT.notConfirmed;
  const context = { runId: randomUUID() };
  const key = await assessTargetKey(session.config, session.ports, context);
  const memory = openScanMemory(cacheDir(io.env));
  const scope = scanScope(key.account, session.config.region, request.logGroupNamePrefix);
  const bar = options.progress ? createProgressBar({ stream: io.stderr, dryRun }) : undefined;
  const ports: Ports = bar ? { ...session.ports, progress: bar } : session.ports;
  bar?.start(memory.expected(scope));
  let report: Report;
  try {
    report = await runPipeline(session.config, request, ports, context, key);
  } finally {
    bar?.stop();
  }
  if (report.complete) memory.remember(scope, report.totals.scanned);
  if (options.json) io.json(report);
  else io.say(renderText(report).trimEnd());
  const status = reportStatus(report);
  return status === 'failed' || status === 'key-unusable' ? EXIT.problems : EXIT.ok;
}

function describeApply(session: Session, request: RunRequest): string {
  const { config } = session;
  const which = request.logGroupNamePrefix ? ` whose name starts with ${request.logGroupNamePrefix}` : '';
  const most = request.maxRemediations !== undefined ? ` (at most ${request.maxRemediations})` : '';
  return `Associate ${config.kmsKeyId} with every unencrypted log group${which} in ${config.region}${most}?`;
}
