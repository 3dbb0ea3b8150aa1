/**
 * Pure: what a run was asked to do, from its request and the configuration's defaults. A resumed
 * run's request already carries its token's intent, so the defaults never override it.
 */
import type { Config } from './config';
import type { RunRequest } from './event';
import type { RunIntent } from './resume-token';

export function resolveIntent(config: Readonly<Config>, request: RunRequest): RunIntent {
  return {
    dryRun: request.dryRun ?? config.dryRun,
    report: request.report ?? config.reportWhen,
    ...(request.logGroupNamePrefix ? { logGroupNamePrefix: request.logGroupNamePrefix } : {}),
    ...(request.maxRemediations !== undefined ? { remediationsLeft: request.maxRemediations } : {}),
  };
}

/** The intent a continuation of this run carries, once `reserved` of its remediations were used. */
export function intentLeft(intent: RunIntent, reserved: number): RunIntent {
  if (intent.remediationsLeft === undefined) return intent;
  return { ...intent, remediationsLeft: Math.max(0, intent.remediationsLeft - reserved) };
}
