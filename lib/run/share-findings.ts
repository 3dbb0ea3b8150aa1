/**
 * SECURITY_HUB=on: at the end of every invocation, the remediator hands the findings of the
 * groups it accounted for to FindingsTopic, and at the end of a complete run a `resolve` message.
 * The findings function imports them into Security Hub (lib/run/import-findings.ts). A failure to
 * publish never fails the run: the report says how many findings went out, and why the rest did not.
 */
import { parseArn, partitionOf } from '../core/arn';
import type { Config } from '../core/config';
import { AwsCallError } from '../core/errors';
import { buildFindings, findingIdOf, productArnOf } from '../core/findings';
import { type FindingsMessage, packImportMessages } from '../core/findings-message';
import type { Ports } from '../core/ports';
import type { FindingsSection, GroupOutcome, Report } from '../core/types';

/** What the run resolves at its end, when it was complete. */
export type Resolution =
  /** A complete run or sweep: every product finding not re-imported since `startedAt`. */
  | { scope: 'all'; startedAt: string; logGroupNamePrefix?: string }
  /** A new group's run that made its group compliant: that group's finding, if one is active. */
  | { scope: 'group'; startedAt: string; logGroupName: string };

export interface FindingsShare {
  /** The outcomes to make findings of: the invocation's full list, not the report's trimmed one. */
  outcomes: readonly GroupOutcome[];
  /** A resolve message follows in this run (now, or from a later invocation of its sweep). */
  resolves: boolean;
  resolve?: Resolution;
}

/** Publish the findings; undefined when SECURITY_HUB is off. Never throws. */
export async function shareFindings(
  config: Readonly<Config>,
  ports: Ports,
  report: Report,
  share: FindingsShare,
): Promise<FindingsSection | undefined> {
  if (!config.securityHub || !config.findingsTopicArn || !ports.findings) return undefined;
  const partition = parseArn(config.reportTopicArn)?.partition ?? partitionOf(report.region);
  const findings = buildFindings(share.outcomes, {
    partition,
    region: report.region,
    account: report.account,
    at: report.startedAt,
    targetKeyArn: report.key.arn,
    keysInUse: report.keysInUse,
    ...(report.key.policyFix ? { policyFix: report.key.policyFix } : {}),
    exclusion: {
      includePatterns: config.includePatterns,
      excludePatterns: config.excludePatterns,
      ...(config.excludeTag ? { excludeTag: tagText(config.excludeTag) } : {}),
    },
  });
  const { messages, tooLarge } = packImportMessages(report.runId, findings, share.resolves);
  const all: FindingsMessage[] = [...messages];
  if (share.resolve) all.push(resolveMessage(report, partition, share.resolve));
  const sent = await publishAll(config.findingsTopicArn, all, ports);
  if (sent.error) ports.log.error('Findings could not be sent to FindingsTopic', { error: sent.error });
  const error =
    sent.error ??
    (tooLarge > 0 ? `${tooLarge} finding(s) over Security Hub's 240 KB were left out` : undefined);
  return { published: sent.published, ...(error ? { error } : {}) };
}

function resolveMessage(report: Report, partition: string, resolution: Resolution): FindingsMessage {
  const base = {
    kind: 'resolve' as const,
    runId: report.runId,
    startedAt: resolution.startedAt,
    finishedAt: report.finishedAt,
    productArn: productArnOf(partition, report.region, report.account),
  };
  if (resolution.scope === 'group') {
    return { ...base, findingId: findingIdOf(report.region, report.account, resolution.logGroupName) };
  }
  const prefix = resolution.logGroupNamePrefix;
  const groupArns = `arn:${partition}:logs:${report.region}:${report.account}:log-group:`;
  return prefix ? { ...base, resourcePrefix: `${groupArns}${prefix}` } : base;
}

/** In order, stopping at the first failure: what was not sent is said in the report. */
async function publishAll(topicArn: string, messages: readonly FindingsMessage[], ports: Ports) {
  let published = 0;
  for (const message of messages) {
    try {
      await ports.findings?.publishFindings(topicArn, JSON.stringify(message));
    } catch (error) {
      const why = error instanceof AwsCallError ? `${error.code}: ${error.awsMessage}` : String(error);
      return { published, error: `Publish to FindingsTopic failed: ${why}` };
    }
    if (message.kind === 'import') published += message.findings.length;
  }
  return { published };
}

function tagText(tag: NonNullable<Config['excludeTag']>): string {
  return tag.value === undefined ? tag.key : `${tag.key}=${tag.value}`;
}

/** Two invocations' findings sections, added up (a sweep's report covers every invocation). */
export function addFindings(
  a: FindingsSection | undefined,
  b: FindingsSection | undefined,
): FindingsSection | undefined {
  if (!a || !b) return a ?? b;
  const error = a.error ?? b.error;
  return { published: a.published + b.published, ...(error ? { error } : {}) };
}
