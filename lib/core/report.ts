/**
 * Pure: turn the outcomes of a run into the report, and render it for SNS:
 * text for people (default, email), JSON for machines (sqs, lambda, http, https).
 */
import type {
  GroupOutcome,
  KeyReport,
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
  'failed',
  'skipped',
  'not-reached',
  'remediated',
  'would-remediate',
  'excluded',
];

const OUTCOME_HEADINGS: Record<Outcome, string> = {
  failed: 'Failed',
  skipped: 'Skipped',
  'not-reached': 'Not reached',
  remediated: 'Remediated',
  'would-remediate': 'Would remediate',
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
  };
}

/** Failures first, then by name: the order of the report's group list. */
export function sortGroups(groups: readonly GroupOutcome[]): GroupOutcome[] {
  const rank = (g: GroupOutcome) => OUTCOME_ORDER.indexOf(g.outcome);
  const byName = (a: GroupOutcome, b: GroupOutcome) =>
    a.logGroupName < b.logGroupName ? -1 : a.logGroupName > b.logGroupName ? 1 : 0;
  return [...groups].sort((a, b) => rank(a) - rank(b) || byName(a, b));
}

export function buildReport(run: RunSummary): Report {
  const groups = sortGroups(run.outcomes);
  return {
    schemaVersion: 1,
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
    groups,
    groupsOmitted: 0,
    ...(run.pace ? { pace: run.pace } : {}),
  };
}

export function reportStatus(report: Report): ReportStatus {
  const t = report.totals;
  if (!report.key.usable) return 'key-unusable';
  if (t.failed > 0 || report.scanError) return 'failed';
  if (t.wouldRemediate > 0 || t.skipped > 0 || t.notReached > 0 || !report.complete) return 'findings';
  if (t.remediated > 0) return 'remediated';
  return 'compliant';
}

/** `findings` publishes unless the account was already compliant and nothing happened. */
export function shouldPublish(report: Report, when: ReportWhen): boolean {
  const status = reportStatus(report);
  if (when === 'problems') return status === 'failed' || status === 'key-unusable';
  return when === 'always' || status !== 'compliant';
}

export function renderSubject(report: Report): string {
  const t = report.totals;
  const counts = [
    t.remediated && `${t.remediated} remediated`,
    t.wouldRemediate && `${t.wouldRemediate} would remediate`,
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
  const k = report.key;
  const lines: string[] = [
    `logs-kms-remediator report${report.dryRun ? ' [DRY RUN: nothing was changed]' : ''}`,
    `Account ${report.account}, region ${report.region}, run ${report.runId}`,
    `Started ${report.startedAt}, finished ${report.finishedAt}${report.complete ? '' : ' (INCOMPLETE)'}`,
    `Status: ${reportStatus(report)}`,
    '',
    `Scanned ${t.scanned} log groups: ${t.alreadyEncrypted} already encrypted, ${t.remediated} remediated, ` +
      `${t.wouldRemediate} would be remediated, ${t.excluded} excluded, ${t.skipped} skipped, ` +
      `${t.failed} failed, ${t.notReached} not reached.`,
    ...paceLines(report.pace),
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
  if (report.scanError) {
    lines.push(
      '',
      `The scan failed and stopped early: ${report.scanError.code}: ${report.scanError.message}`,
    );
  }
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

function keyVerdict(k: KeyReport): string {
  if (k.usable) return 'Usable';
  // A lookup that failed in passing proves nothing either way.
  return k.problems.some((p) => p.code === 'KEY_LOOKUP_FAILED')
    ? 'UNKNOWN (could not be checked)'
    : 'NOT USABLE';
}

function describeGroup(g: GroupOutcome): string {
  switch (g.outcome) {
    case 'failed':
      return `  - ${g.logGroupName}: ${g.errorCode}: ${g.message}`;
    case 'skipped':
      return `  - ${g.logGroupName}: ${g.reason}${g.message ? `: ${g.message}` : ''}`;
    case 'excluded':
    case 'not-reached':
      return `  - ${g.logGroupName} (${g.reason})`;
    default:
      return `  - ${g.logGroupName}`;
  }
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
