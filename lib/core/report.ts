/**
 * Pure: turn the outcomes of a run into the report, and render it for SNS:
 * text for people (default, email), JSON for machines (sqs, lambda, http, https).
 */
import type {
  GroupOutcome,
  KeyInUse,
  KeyReport,
  MoveFrom,
  Outcome,
  PaceReport,
  Report,
  ReportStatus,
  ReportWhen,
  Totals,
} from './types';

/** SNS rejects messages over 256 KiB, message attributes included. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS rejects subjects of 100 characters or more. */
const SUBJECT_MAX = 99;

/** Failures first: they are what a reader must see when the list is cut. */
const OUTCOME_ORDER: readonly Outcome[] = [
  'at-risk',
  'failed',
  'skipped',
  'unverified',
  'not-reached',
  'other-key',
  'remediated',
  'reassociated',
  'would-remediate',
  'would-reassociate',
  'excluded',
];

const OUTCOME_HEADINGS: Record<Outcome, string> = {
  'at-risk': 'At risk',
  failed: 'Failed',
  skipped: 'Skipped',
  unverified: 'Unverified',
  'not-reached': 'Not reached',
  'other-key': 'On another key',
  remediated: 'Remediated',
  reassociated: 'Reassociated',
  'would-remediate': 'Would remediate',
  'would-reassociate': 'Would reassociate',
  excluded: 'Excluded',
};

export interface RunSummary {
  runId: string;
  account: string;
  region: string;
  dryRun: boolean;
  startedAt: Date;
  finishedAt: Date;
  complete: boolean;
  resumeToken?: string;
  scanError?: { code: string; message: string };
  key: KeyReport;
  alreadyEncrypted: number;
  outcomes: readonly GroupOutcome[];
  keysInUse: KeyInUse[];
  keyEvent?: Report['keyEvent'];
  pace?: PaceReport;
}

/** Count outcomes. `scanned` is derived, so the totals add up by construction. */
export function computeTotals(alreadyEncrypted: number, outcomes: readonly GroupOutcome[]): Totals {
  const count = (o: Outcome) => outcomes.filter((g) => g.outcome === o).length;
  return {
    scanned: alreadyEncrypted + outcomes.length,
    alreadyEncrypted,
    remediated: count('remediated'),
    wouldRemediate: count('would-remediate'),
    excluded: count('excluded'),
    skipped: count('skipped'),
    failed: count('failed'),
    notReached: count('not-reached'),
    atRisk: count('at-risk'),
    otherKey: count('other-key'),
    unverified: count('unverified'),
    reassociated: count('reassociated'),
    wouldReassociate: count('would-reassociate'),
  };
}

/** Failures first, then by name: the order of the report's group list. */
export function sortGroups(groups: readonly GroupOutcome[]): GroupOutcome[] {
  const rank = (g: GroupOutcome) => OUTCOME_ORDER.indexOf(g.outcome);
  const byName = (a: GroupOutcome, b: GroupOutcome) =>
    a.logGroupName < b.logGroupName ? -1 : a.logGroupName > b.logGroupName ? 1 : 0;
  return [...groups].sort((a, b) => rank(a) - rank(b) || byName(a, b));
}

/** Key entries a report carries, in JSON bytes: room is kept for the groups within SNS's 256 KiB. */
export const KEYS_IN_USE_MAX_BYTES = 40_000;

const KEY_RANK: Record<KeyInUse['verdict'], number> = { target: 0, 'at-risk': 1, unverified: 2, healthy: 3 };

/** The target and at-risk keys first, then unverified, then healthy ones, as many as fit. */
export function capKeysInUse(keys: readonly KeyInUse[]): { keysInUse: KeyInUse[]; omitted: number } {
  const sorted = [...keys].sort((a, b) => KEY_RANK[a.verdict] - KEY_RANK[b.verdict] || b.groups - a.groups);
  let bytes = 0;
  let count = 0;
  for (const k of sorted) {
    bytes += JSON.stringify(k).length + 1;
    if (bytes > KEYS_IN_USE_MAX_BYTES && count > 0) break;
    count++;
  }
  return { keysInUse: sorted.slice(0, count), omitted: sorted.length - count };
}

export function buildReport(run: RunSummary): Report {
  const groups = sortGroups(run.outcomes);
  const keys = capKeysInUse(run.keysInUse);
  return {
    schemaVersion: 2,
    runId: run.runId,
    account: run.account,
    region: run.region,
    dryRun: run.dryRun,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    complete: run.complete,
    ...(run.resumeToken ? { resumeToken: run.resumeToken } : {}),
    ...(run.scanError ? { scanError: run.scanError } : {}),
    key: run.key,
    totals: computeTotals(run.alreadyEncrypted, run.outcomes),
    keysInUse: keys.keysInUse,
    ...(keys.omitted > 0 ? { keysInUseOmitted: keys.omitted } : {}),
    ...(run.keyEvent ? { keyEvent: run.keyEvent } : {}),
    groups,
    groupsOmitted: 0,
    ...(run.pace ? { pace: run.pace } : {}),
  };
}

export function reportStatus(report: Report): ReportStatus {
  const t = report.totals;
  if (!report.key.usable) return 'key-unusable';
  if (t.failed > 0 || report.scanError) return 'failed';
  if (t.atRisk > 0 || report.keysInUse.some((k) => (k.groupsAtRisk ?? 0) > 0)) return 'at-risk';
  const open = t.wouldRemediate + t.wouldReassociate + t.skipped + t.notReached + t.otherKey + t.unverified;
  if (open > 0 || !report.complete) return 'findings';
  if (t.remediated > 0 || t.reassociated > 0) return 'remediated';
  return 'compliant';
}

/** `findings` publishes unless the account was already compliant and nothing happened. */
export function shouldPublish(report: Report, when: ReportWhen): boolean {
  const status = reportStatus(report);
  if (when === 'problems') return status === 'failed' || status === 'key-unusable' || status === 'at-risk';
  return when === 'always' || status !== 'compliant';
}

export function renderSubject(report: Report): string {
  const t = report.totals;
  const counts = [
    t.atRisk && `${t.atRisk} at risk`,
    t.remediated && `${t.remediated} remediated`,
    t.reassociated && `${t.reassociated} reassociated`,
    t.wouldRemediate && `${t.wouldRemediate} would remediate`,
    t.wouldReassociate && `${t.wouldReassociate} would reassociate`,
    t.otherKey && `${t.otherKey} on other keys`,
    t.unverified && `${t.unverified} unverified`,
    t.failed && `${t.failed} failed`,
    t.skipped && `${t.skipped} skipped`,
    t.notReached && `${t.notReached} not reached`,
  ].filter(Boolean);
  const lead = report.scanError ? ['scan failed'] : report.complete ? [] : ['incomplete'];
  const parts = [...lead, ...counts];
  const summary =
    reportStatus(report) === 'key-unusable'
      ? 'key unusable'
      : parts.length > 0
        ? parts.join(', ')
        : `${t.scanned} scanned, compliant`;
  const subject = `${report.dryRun ? '[DRY RUN] ' : ''}Log encryption ${report.account} ${report.region}: ${summary}`;
  // SNS rejects line breaks and non-ASCII in subjects.
  const clean = subject.replace(/[^\x20-\x7e]/g, ' ');
  return clean.length > SUBJECT_MAX ? `${clean.slice(0, SUBJECT_MAX - 3)}...` : clean;
}

export function renderText(report: Report): string {
  const t = report.totals;
  const lines: string[] = [
    `logs-kms-remediator report${report.dryRun ? ' [DRY RUN: nothing was changed]' : ''}`,
    `Account ${report.account}, region ${report.region}, run ${report.runId}`,
    `Started ${report.startedAt}, finished ${report.finishedAt}${report.complete ? '' : ' (INCOMPLETE)'}`,
    `Status: ${reportStatus(report)}`,
    ...renderKeyEvent(report),
    ...renderAtRiskKeys(report.keysInUse),
    '',
    `Scanned ${t.scanned} log groups: ${t.alreadyEncrypted} already encrypted, ${t.remediated} remediated, ` +
      `${t.wouldRemediate} would be remediated, ${t.excluded} excluded, ${t.skipped} skipped, ` +
      `${t.failed} failed, ${t.notReached} not reached, ${t.atRisk} at risk, ${t.otherKey} on other keys, ` +
      `${t.unverified} unverified, ${t.reassociated} reassociated, ${t.wouldReassociate} would be reassociated.`,
    ...paceLines(report.pace),
    ...renderTargetKey(report.key),
  ];
  lines.push(...renderKeysInUse(report.keysInUse, report.keysInUseOmitted));
  if (report.scanError) {
    lines.push(
      '',
      `The scan failed and stopped early: ${report.scanError.code}: ${report.scanError.message}`,
    );
  }
  if (report.findings) lines.push('', renderFindings(report.findings));
  if (report.resumeToken) {
    lines.push(
      '',
      `Resume with the event {"resumeToken": "${report.resumeToken}"}.`,
      report.dryRun
        ? 'Resuming continues this DRY RUN: it changes nothing, whatever DRY_RUN is set to.'
        : 'Resuming continues this live run, with the same prefix and the remediations it has left.',
    );
  }
  for (const outcome of OUTCOME_ORDER) {
    const groups = report.groups.filter((g) => g.outcome === outcome);
    if (groups.length === 0) continue;
    lines.push('', `${OUTCOME_HEADINGS[outcome]} (${groups.length} listed):`, ...groups.map(describeGroup));
  }
  if (report.groupsOmitted > 0) {
    lines.push(
      '',
      `${report.groupsOmitted} more groups are not listed, to keep the message within SNS's size limit; ` +
        'the function\'s logs have one line for each of them ("Log group outcome", at INFO or above); ' +
        'already-encrypted groups are only counted.',
    );
  }
  return `${lines.join('\n')}\n`;
}

function paceLines(pace: PaceReport | undefined): string[] {
  if (!pace || (pace.associateTpsReached === 0 && pace.throttles === 0)) return [];
  const paced =
    pace.associateTpsReached > 0 ? `paced up to ${pace.associateTpsReached} per second` : 'not paced';
  return [`Associations ${paced}; ${pace.throttles} calls throttled by AWS, retries included.`];
}

/** What the run handed to Security Hub. Its import comes after the report: a refusal has its own notice. */
function renderFindings(f: NonNullable<Report['findings']>): string {
  const sent = `Security Hub: ${f.published} finding(s) sent for import (FindingsTopic)`;
  return f.error ? `${sent}; the rest could not be sent: ${f.error}` : `${sent}.`;
}

function keyVerdict(k: KeyReport): string {
  if (k.usable) return 'Usable';
  // A lookup that failed in passing proves nothing either way.
  return k.problems.some((p) => p.code === 'KEY_LOOKUP_FAILED')
    ? 'UNKNOWN (could not be checked)'
    : 'NOT USABLE';
}

/** The target key's section: its verdict, problems, warnings and the statement to add. */
function renderTargetKey(k: KeyReport): string[] {
  const lines = [
    '',
    `Key: ${k.arn ?? k.requested}${k.arn && k.arn !== k.requested ? ` (configured as ${k.requested})` : ''}`,
    `  ${keyVerdict(k)}; state ${k.state ?? 'unknown'}, spec ${k.keySpec ?? 'unknown'}, ` +
      `usage ${k.keyUsage ?? 'unknown'}, rotation ${k.rotationEnabled === null ? 'unknown' : k.rotationEnabled ? 'on' : 'off'}`,
    ...k.problems.map((p) => `  Problem ${p.code}: ${p.message}`),
    ...k.warnings.map((w) => `  Warning ${w.code}: ${w.message}`),
  ];
  if (k.policyFix) {
    lines.push(
      '  Add this statement to the key policy:',
      ...indent(JSON.stringify(k.policyFix, null, 2), '    '),
    );
  }
  return lines;
}

/** At-risk keys lead the text: what a reader must see first, with the deletion date. */
function renderAtRiskKeys(keys: readonly KeyInUse[]): string[] {
  const atRisk = keys.filter((k) => (k.groupsAtRisk ?? 0) > 0);
  if (atRisk.length === 0) return [];
  const lines = ['', `KEYS AT RISK (${atRisk.length}):`];
  for (const k of atRisk) {
    const when = k.deletionDate ? `, to be deleted on ${k.deletionDate}` : '';
    lines.push(
      `- ${k.arn} (${k.state ?? 'not found'}${when}) encrypts ${k.groupsAtRisk} log group(s) at risk.`,
    );
    if (k.problem) lines.push(`  ${k.problem.code}: ${k.problem.message}`);
    if (k.fix) {
      lines.push('  Fix:', ...k.fix.commands.map((c) => `    ${c}`));
      if (k.fix.statement) lines.push(...indent(JSON.stringify(k.fix.statement, null, 2), '    '));
      lines.push(`  If nothing is done: ${k.fix.ifNothingIsDone}`);
    }
  }
  return lines;
}

function renderKeysInUse(keys: readonly KeyInUse[], omitted = 0): string[] {
  if (keys.length === 0) return [];
  const lines = ['', 'Keys in use:'];
  for (const k of keys) {
    lines.push(`  - ${k.arn}: ${k.verdict}, ${k.groups} group(s), state ${k.state ?? 'unknown'}`);
    if (k.problem && k.verdict !== 'at-risk') lines.push(`    ${k.problem.code}: ${k.problem.message}`);
    if (k.warning) lines.push(`    Warning: ${k.warning}`);
  }
  if (omitted > 0)
    lines.push(`  ${omitted} more keys are not listed (healthy and unverified ones go first).`);
  return lines;
}

function renderKeyEvent(report: Report): string[] {
  const e = report.keyEvent;
  return e ? [`Started by ${e.eventName} on ${e.keyId} at ${e.eventTime} (CloudTrail).`] : [];
}

function describeGroup(g: GroupOutcome): string {
  switch (g.outcome) {
    case 'at-risk':
    case 'other-key':
    case 'unverified':
    case 'reassociated':
    case 'would-reassociate':
      return `  - ${g.logGroupName} (${g.reason}, key ${g.kmsKeyId}): ${g.message}`;
    case 'failed':
      return `  - ${g.logGroupName}: ${g.errorCode}: ${g.message}${stillOn(g.from)}`;
    case 'skipped':
      return `  - ${g.logGroupName}: ${g.reason}${g.message ? `: ${g.message}` : ''}${stillOn(g.from)}`;
    case 'not-reached':
      return `  - ${g.logGroupName} (${g.reason})${stillOn(g.from)}`;
    case 'excluded':
      return `  - ${g.logGroupName} (${g.reason})`;
    default:
      return `  - ${g.logGroupName}`;
  }
}

function stillOn(from: MoveFrom | undefined): string {
  return from ? ` [not moved: still on ${from.kmsKeyId} (${from.reason})]` : '';
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((line) => prefix + line);
}

export interface SnsMessage {
  subject: string;
  /** The `MessageStructure: json` envelope. */
  message: string;
  attributes: Record<string, string>;
  /** The report as sent: its group list may be trimmed, with `groupsOmitted` set. */
  report: Report;
}

/** Render the SNS message, listing as many groups as fit (failures first). */
export function renderSnsMessage(report: Report, maxBytes = SNS_MAX_MESSAGE_BYTES): SnsMessage {
  const attributes = {
    status: reportStatus(report),
    dryRun: String(report.dryRun),
    account: report.account,
    region: report.region,
  };
  // SNS counts attribute names, types and values against the limit too; keep a margin for framing.
  const attributeBytes = Object.entries(attributes).reduce(
    (n, [k, v]) => n + k.length + v.length + 'String'.length,
    0,
  );
  const budget = maxBytes - attributeBytes - 512;
  const envelopeFor = (listed: number) => {
    const trimmed: Report = {
      ...report,
      groups: report.groups.slice(0, listed),
      groupsOmitted: report.groupsOmitted + report.groups.length - listed,
    };
    const text = renderText(trimmed);
    const json = JSON.stringify(trimmed);
    const message = JSON.stringify({
      default: text,
      email: text,
      sqs: json,
      lambda: json,
      http: json,
      https: json,
    });
    return { trimmed, message };
  };
  // Binary search the longest list that fits: sizes grow with each group listed.
  let low = 0;
  let high = report.groups.length;
  let best = envelopeFor(high);
  if (Buffer.byteLength(best.message) > budget) {
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (Buffer.byteLength(envelopeFor(mid).message) <= budget) low = mid;
      else high = mid - 1;
    }
    best = envelopeFor(low);
  }
  return { subject: renderSubject(report), message: best.message, attributes, report: best.trimmed };
}
