/**
 * Pure: a sweep is one pass over every log group, made of as many invocations as it takes
 * (Step Functions calls the function again while a run stops at its deadline). The sweep state
 * carries the running totals and a capped group list from one invocation to the next, and
 * becomes a single report at the end.
 */
import { EventError } from './errors';
import { withReassociationWarning } from './key-audit';
import { capKeysInUse, sortGroups } from './report';
import type { FindingsSection, GroupOutcome, KeyInUse, KeyReport, PaceReport, Report, Totals } from './types';

/** Group entries carried between invocations, in JSON bytes: Step Functions caps a state at 256 KB. */
export const SWEEP_GROUPS_MAX_BYTES = 150_000;

export interface SweepState {
  v: 2;
  runId: string;
  startedAt: string;
  invocations: number;
  key: KeyReport;
  totals: Totals;
  keysInUse: KeyInUse[];
  keysInUseOmitted: number;
  groups: GroupOutcome[];
  groupsOmitted: number;
  /** The pace over the invocations so far: the highest rate reached, and every throttle. */
  pace?: PaceReport;
  /** With SECURITY_HUB=on: the findings every invocation so far sent for import. */
  findings?: FindingsSection;
}

/** Fold one invocation's full report into the sweep. */
export function mergeSweep(previous: SweepState | undefined, report: Report): SweepState {
  // Groups a run leaves at its deadline are handed to the next invocation, which accounts for them.
  const handedOver = report.complete
    ? []
    : report.groups.filter((g) => g.outcome === 'not-reached' && g.reason === 'deadline');
  const kept = report.groups.filter((g) => !handedOver.includes(g));
  const totals = addTotals(previous?.totals, report.totals);
  totals.scanned -= handedOver.length;
  totals.notReached -= handedOver.length;
  const { groups, omitted } = capGroups([...(previous?.groups ?? []), ...kept]);
  const keys = capKeysInUse(mergeKeys(previous?.keysInUse ?? [], report));
  return {
    v: 2,
    runId: previous?.runId ?? report.runId,
    startedAt: previous?.startedAt ?? report.startedAt,
    invocations: (previous?.invocations ?? 0) + 1,
    // The latest check of the key is the one that counts: it may have gone bad since.
    key: report.key,
    totals,
    keysInUse: keys.keysInUse,
    // A key left out once may be counted again later: the count is of entries left out, at most.
    keysInUseOmitted: Math.max(
      previous?.keysInUseOmitted ?? 0,
      (report.keysInUseOmitted ?? 0) + keys.omitted,
    ),
    groups,
    groupsOmitted: (previous?.groupsOmitted ?? 0) + report.groupsOmitted + omitted,
    ...paceOf(previous?.pace, report.pace),
  };
}

function paceOf(before: PaceReport | undefined, now: PaceReport | undefined): { pace?: PaceReport } {
  if (!before || !now) return before || now ? { pace: (before ?? now) as PaceReport } : {};
  return {
    pace: {
      associateTpsReached: Math.max(before.associateTpsReached, now.associateTpsReached),
      throttles: before.throttles + now.throttles,
    },
  };
}

const SEVERITY: Record<KeyInUse['verdict'], number> = { 'at-risk': 3, unverified: 2, healthy: 1, target: 0 };

/** Keys seen by every invocation so far: counts add up, and the worst verdict seen of a key stands. */
function mergeKeys(previous: readonly KeyInUse[], report: Report): KeyInUse[] {
  const merged = new Map(previous.map((k) => [k.arn, k]));
  for (const next of report.keysInUse) {
    const before = merged.get(next.arn);
    if (!before) {
      merged.set(next.arn, next);
      continue;
    }
    const worst = SEVERITY[before.verdict] > SEVERITY[next.verdict] ? before : next;
    const { warning: _w, reassociated: _r, ...entry } = worst;
    const combined: KeyInUse = { ...entry, groups: before.groups + next.groups };
    const atRisk = (before.groupsAtRisk ?? 0) + (next.groupsAtRisk ?? 0);
    if (atRisk > 0) combined.groupsAtRisk = atRisk;
    const moved = (before.reassociated ?? 0) + (next.reassociated ?? 0);
    const ctx = { region: report.region, account: report.account };
    merged.set(
      next.arn,
      moved > 0 ? withReassociationWarning(combined, moved, ctx, report.dryRun) : combined,
    );
  }
  return [...merged.values()];
}

/** The sweep's one report, from its final state and the last invocation's report. */
export function sweepReport(state: SweepState, last: Report): Report {
  return {
    ...last,
    runId: state.runId,
    startedAt: state.startedAt,
    invocations: state.invocations,
    key: state.key,
    totals: state.totals,
    keysInUse: state.keysInUse,
    ...(state.keysInUseOmitted > 0 ? { keysInUseOmitted: state.keysInUseOmitted } : {}),
    groups: state.groups,
    groupsOmitted: state.groupsOmitted,
    ...(state.pace ? { pace: state.pace } : {}),
  };
}

function addTotals(a: Totals | undefined, b: Totals): Totals {
  const sum = { ...b };
  if (a) for (const k of Object.keys(sum) as (keyof Totals)[]) sum[k] += a[k];
  return sum;
}

function capGroups(all: GroupOutcome[]): { groups: GroupOutcome[]; omitted: number } {
  const sorted = sortGroups(all);
  let bytes = 0;
  let count = 0;
  for (const g of sorted) {
    bytes += JSON.stringify(g).length + 1;
    if (bytes > SWEEP_GROUPS_MAX_BYTES) break;
    count++;
  }
  return { groups: sorted.slice(0, count), omitted: sorted.length - count };
}

const TOTAL_KEYS: readonly (keyof Totals)[] = [
  'scanned',
  'alreadyEncrypted',
  'remediated',
  'wouldRemediate',
  'excluded',
  'skipped',
  'failed',
  'notReached',
  'atRisk',
  'otherKey',
  'unverified',
  'reassociated',
  'wouldReassociate',
];

/** Every field a sweep state may have. */
const SWEEP_FIELDS: readonly string[] = [
  'v',
  'runId',
  'startedAt',
  'invocations',
  'key',
  'totals',
  'keysInUse',
  'keysInUseOmitted',
  'groups',
  'groupsOmitted',
  'pace',
  'findings',
];

/**
 * Validate the sweep state an event carries: `{}` starts a sweep, anything else must be a state
 * this function returned. Throws EventError('sweep') otherwise.
 */
export function parseSweepState(value: unknown): SweepState | undefined {
  const fail = (problem: string): never => {
    throw new EventError('sweep', problem);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('expected an object');
  const state = value as Record<string, unknown>;
  if (Object.keys(state).length === 0) return undefined;
  const unknown = Object.keys(state).find((k) => !SWEEP_FIELDS.includes(k));
  if (unknown !== undefined) fail(`unknown field ${unknown.slice(0, 80)}`);
  // A v1 state (before the key audit) cannot be continued: its totals lack the audit's buckets.
  if (state.v !== 2) fail('expected v: 2 (a sweep started by an older version cannot be continued)');
  if (
    typeof state.runId !== 'string' ||
    typeof state.startedAt !== 'string' ||
    Number.isNaN(Date.parse(state.startedAt))
  ) {
    fail('expected runId and startedAt strings');
  }
  const isCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!isCount(state.invocations) || !isCount(state.groupsOmitted) || !isCount(state.keysInUseOmitted))
    fail('expected counts for invocations, groupsOmitted and keysInUseOmitted');
  if (!Array.isArray(state.keysInUse) || !state.keysInUse.every(isKeyInUse))
    fail('expected a list of keys in use');
  const pace = state.pace as Record<string, unknown> | undefined;
  if (pace !== undefined && !(typeof pace?.associateTpsReached === 'number' && isCount(pace.throttles))) {
    fail('expected pace as {associateTpsReached, throttles}');
  }
  const totals = state.totals as Record<string, unknown> | null;
  if (typeof totals !== 'object' || totals === null || !TOTAL_KEYS.every((k) => isCount(totals[k]))) {
    fail('expected totals with every count');
  }
  if (!Array.isArray(state.groups) || !state.groups.every(isGroupOutcome))
    fail('expected a list of group outcomes');
  if (state.findings !== undefined && !isFindingsSection(state.findings, isCount))
    fail('expected findings {published, error?}');
  const key = state.key as Record<string, unknown> | null;
  if (
    typeof key !== 'object' ||
    key === null ||
    typeof key.usable !== 'boolean' ||
    !Array.isArray(key.problems)
  ) {
    fail('expected the key section of a report');
  }
  return value as SweepState;
}

function isKeyInUse(value: unknown): boolean {
  const k = value as Record<string, unknown> | null;
  return (
    typeof k === 'object' &&
    k !== null &&
    typeof k.arn === 'string' &&
    typeof k.groups === 'number' &&
    typeof k.verdict === 'string' &&
    Object.hasOwn(SEVERITY, k.verdict)
  );
}

function isGroupOutcome(value: unknown): boolean {
  const g = value as Record<string, unknown> | null;
  const outcomes = [
    'remediated',
    'would-remediate',
    'excluded',
    'skipped',
    'failed',
    'not-reached',
    'at-risk',
    'other-key',
    'unverified',
    'reassociated',
    'would-reassociate',
  ];
  return (
    typeof g === 'object' &&
    g !== null &&
    typeof g.logGroupName === 'string' &&
    typeof g.outcome === 'string' &&
    outcomes.includes(g.outcome)
  );
}

function isFindingsSection(value: unknown, isCount: (n: unknown) => boolean): boolean {
  const f = value as Record<string, unknown> | null;
  return (
    typeof f === 'object' &&
    f !== null &&
    isCount(f.published) &&
    ['string', 'undefined'].includes(typeof f.error)
  );
}
