/**
 * Pure: a sweep is one pass over every log group, made of as many invocations as it takes
 * (Step Functions calls the function again while a run stops at its deadline). The sweep state
 * carries the running totals and a capped group list from one invocation to the next, and
 * becomes a single report at the end.
 */
import { EventError } from './errors';
import { sortGroups } from './report';
import type { GroupOutcome, KeyReport, Report, Totals } from './types';

/** Group entries carried between invocations, in JSON bytes: Step Functions caps a state at 256 KB. */
export const SWEEP_GROUPS_MAX_BYTES = 150_000;

export interface SweepState {
  v: 1;
  runId: string;
  startedAt: string;
  invocations: number;
  key: KeyReport;
  totals: Totals;
  groups: GroupOutcome[];
  groupsOmitted: number;
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
  return {
    v: 1,
    runId: previous?.runId ?? report.runId,
    startedAt: previous?.startedAt ?? report.startedAt,
    invocations: (previous?.invocations ?? 0) + 1,
    // The latest check of the key is the one that counts: it may have gone bad since.
    key: report.key,
    totals,
    groups,
    groupsOmitted: (previous?.groupsOmitted ?? 0) + report.groupsOmitted + omitted,
  };
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
    groups: state.groups,
    groupsOmitted: state.groupsOmitted,
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
  const expected = ['v', 'runId', 'startedAt', 'invocations', 'key', 'totals', 'groups', 'groupsOmitted'];
  const unknown = Object.keys(state).find((k) => !expected.includes(k));
  if (unknown !== undefined) fail(`unknown field ${unknown.slice(0, 80)}`);
  if (state.v !== 1) fail('expected v: 1');
  if (
    typeof state.runId !== 'string' ||
    typeof state.startedAt !== 'string' ||
    Number.isNaN(Date.parse(state.startedAt))
  ) {
    fail('expected runId and startedAt strings');
  }
  const isCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!isCount(state.invocations) || !isCount(state.groupsOmitted))
    fail('expected counts for invocations and groupsOmitted');
  const totals = state.totals as Record<string, unknown> | null;
  if (typeof totals !== 'object' || totals === null || !TOTAL_KEYS.every((k) => isCount(totals[k]))) {
    fail('expected totals with every count');
  }
  if (!Array.isArray(state.groups) || !state.groups.every(isGroupOutcome))
    fail('expected a list of group outcomes');
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

function isGroupOutcome(value: unknown): boolean {
  const g = value as Record<string, unknown> | null;
  const outcomes = ['remediated', 'would-remediate', 'excluded', 'skipped', 'failed', 'not-reached'];
  return (
    typeof g === 'object' &&
    g !== null &&
    typeof g.logGroupName === 'string' &&
    typeof g.outcome === 'string' &&
    outcomes.includes(g.outcome)
  );
}
