/**
 * Pure: the messages on FindingsTopic, from the remediator to the findings function. The
 * remediator cannot carry the Security Hub client (its zip is held to 250 KiB), so it publishes
 * findings to SNS, and the findings function imports them (handlers/import-findings.ts).
 *
 * - `import`: up to 100 findings, one BatchImportFindings call;
 * - `resolve`: at the end of a complete run, resolve the product's active findings that the run
 *   did not re-import (their UpdatedAt is before the run's start). See lib/run/import-findings.ts
 *   for why the order in which the messages arrive does not matter.
 */
import { EventError } from './errors';
import {
  type AsffFinding,
  FINDING_MAX_BYTES,
  FINDINGS_MESSAGE_MAX_BYTES,
  FINDINGS_PER_BATCH,
} from './findings';

export interface ImportMessage {
  kind: 'import';
  runId: string;
  /** A `resolve` message is to follow for this run: a failure is reported from there, once. */
  resolves: boolean;
  findings: AsffFinding[];
}

export interface ResolveMessage {
  kind: 'resolve';
  runId: string;
  /** Findings last updated before this (the run's start) were not seen again: resolved. */
  startedAt: string;
  /** UpdatedAt of the resolved findings: after every import of the run. */
  finishedAt: string;
  productArn: string;
  /** Only findings of groups under this prefix (the run's logGroupNamePrefix): a group's ARN prefix. */
  resourcePrefix?: string;
  /** Only this finding (a new group's run that remediated its group). */
  findingId?: string;
}

export type FindingsMessage = ImportMessage | ResolveMessage;

/** What a finding costs in a message: its JSON, and a comma. */
const sizeOf = (finding: AsffFinding) => Buffer.byteLength(JSON.stringify(finding)) + 1;

/**
 * The import messages of a run: at most 100 findings each, each message under SNS's limit.
 * A finding over Security Hub's 240 KB cannot be imported: it is left out and counted.
 */
export function packImportMessages(
  runId: string,
  findings: readonly AsffFinding[],
  resolves: boolean,
): { messages: ImportMessage[]; tooLarge: number } {
  const envelope =
    sizeOf({} as AsffFinding) + JSON.stringify({ kind: 'import', runId, resolves, findings: [] }).length;
  const messages: ImportMessage[] = [];
  let current: AsffFinding[] = [];
  let bytes = envelope;
  let tooLarge = 0;
  for (const finding of findings) {
    const size = sizeOf(finding);
    if (size > FINDING_MAX_BYTES) {
      tooLarge++;
      continue;
    }
    if (current.length === FINDINGS_PER_BATCH || bytes + size > FINDINGS_MESSAGE_MAX_BYTES) {
      messages.push({ kind: 'import', runId, resolves, findings: current });
      current = [];
      bytes = envelope;
    }
    current.push(finding);
    bytes += size;
  }
  if (current.length > 0) messages.push({ kind: 'import', runId, resolves, findings: current });
  return { messages, tooLarge };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Read a FindingsTopic message. Throws EventError naming the field that is wrong. */
export function parseFindingsMessage(text: string): FindingsMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EventError('Message', 'expected JSON');
  }
  const m = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof m.runId !== 'string' || m.runId === '') throw new EventError('runId', 'expected a string');
  if (m.kind === 'import') {
    if (!Array.isArray(m.findings) || !m.findings.every(isFinding))
      throw new EventError('findings', 'expected a list of ASFF findings with Id and ProductArn');
    if (typeof m.resolves !== 'boolean') throw new EventError('resolves', 'expected true or false');
    return m as unknown as ImportMessage;
  }
  if (m.kind !== 'resolve') throw new EventError('kind', 'expected import or resolve');
  for (const field of ['startedAt', 'finishedAt'] as const) {
    if (typeof m[field] !== 'string' || !ISO.test(m[field] as string))
      throw new EventError(field, 'expected an ISO 8601 time in UTC');
  }
  if (typeof m.productArn !== 'string' || !/^arn:aws[a-z-]*:securityhub:/.test(m.productArn))
    throw new EventError('productArn', 'expected a Security Hub product ARN');
  for (const field of ['resourcePrefix', 'findingId'] as const) {
    if (m[field] !== undefined && (typeof m[field] !== 'string' || m[field] === ''))
      throw new EventError(field, 'expected a non-empty string');
  }
  return m as unknown as ResolveMessage;
}

function isFinding(value: unknown): boolean {
  const f = value as Record<string, unknown> | null;
  return typeof f === 'object' && f !== null && typeof f.Id === 'string' && typeof f.ProductArn === 'string';
}
