import { AwsCallError } from '../../lib/core/errors';
import { type AsffFinding, buildFindings, type FindingsContext } from '../../lib/core/findings';
import type { FindingsFilter, SecurityHubPort } from '../../lib/core/ports';
import type { RunMetric } from '../../lib/core/run-metrics';
import { createFindingsImporter } from '../../lib/run/import-findings';

const CTX: FindingsContext = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  at: '2026-01-02T00:00:00.000Z',
  targetKeyArn: null,
  keysInUse: [],
  exclusion: { includePatterns: [], excludePatterns: [] },
};
const PRODUCT = 'arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default';
const findingsFor = (names: string[], at = CTX.at) =>
  buildFindings(
    names.map((n) => ({ outcome: 'would-remediate', logGroupName: n })),
    { ...CTX, at },
  );

/** An in-memory hub with Security Hub's rules for what the importer relies on. */
function fakeHub(fail?: AwsCallError) {
  const store = new Map<string, AsffFinding & { Workflow?: { Status: string } }>();
  const calls: string[] = [];
  const hub: SecurityHubPort = {
    async importFindings(findings) {
      calls.push('BatchImportFindings');
      if (fail) throw fail;
      for (const f of findings) {
        const before = store.get(f.Id);
        // Workflow is set on creation only; reopening resets RESOLVED to NEW.
        const reopened = before?.RecordState === 'ARCHIVED' && f.RecordState === 'ACTIVE';
        const Workflow = before
          ? reopened
            ? { Status: 'NEW' }
            : before.Workflow
          : (f.Workflow ?? { Status: 'NEW' });
        store.set(f.Id, { ...f, ...(Workflow ? { Workflow } : {}) } as AsffFinding);
      }
      return { failed: [] };
    },
    async *findFindings(filter: FindingsFilter) {
      calls.push('GetFindings');
      if (fail) throw fail;
      yield [...store.values()].filter(
        (f) =>
          f.RecordState === 'ACTIVE' &&
          f.UpdatedAt <= filter.updatedAtOrBefore &&
          (!filter.findingId || f.Id === filter.findingId),
      );
    },
    async setWorkflowStatus(findings, status) {
      calls.push('BatchUpdateFindings');
      for (const f of findings) {
        const stored = store.get(f.Id);
        if (stored) stored.Workflow = { Status: status } as never;
      }
    },
  };
  return { hub, store, calls };
}

function importer(hub: SecurityHubPort) {
  const notices: string[] = [];
  const metrics: RunMetric[] = [];
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const ports = {
    hub,
    log,
    metrics: { recordRun: (m: RunMetric[]) => metrics.push(...m) },
    reports: {
      publishReport: async (m: { message: string }) => void notices.push(JSON.parse(m.message).default),
    },
  };
  return {
    imp: createFindingsImporter(
      { reportTopicArn: 'arn:aws:sns:us-east-1:123456789012:r', importTps: 0 },
      ports,
    ),
    notices,
    metrics,
  };
}

const resolve = (runId: string, startedAt: string) =>
  ({
    kind: 'resolve',
    runId,
    startedAt,
    finishedAt: '2026-01-03T01:00:00.000Z',
    productArn: PRODUCT,
  }) as const;

describe('the findings importer', () => {
  it.each(['import first', 'resolve first'])('ends the same whatever the order (%s)', async (order) => {
    const { hub, store } = fakeHub();
    const { imp } = importer(hub);
    await imp.handle({ kind: 'import', runId: 'r1', resolves: true, findings: findingsFor(['/a', '/b']) });
    const again = {
      kind: 'import',
      runId: 'r2',
      resolves: true,
      findings: findingsFor(['/a'], '2026-01-03T00:00:00.000Z'),
    } as const;
    const steps = [() => imp.handle(again), () => imp.handle(resolve('r2', '2026-01-03T00:00:00.000Z'))];
    for (const step of order === 'import first' ? steps : steps.reverse()) await step();
    const [a, b] = ['/a', '/b'].map((n) => store.get(findingsFor([n])[0]?.Id ?? ''));
    expect([a?.RecordState, a?.Compliance.Status, a?.Workflow?.Status]).toEqual(['ACTIVE', 'FAILED', 'NEW']);
    expect([b?.RecordState, b?.Compliance.Status, b?.Workflow?.Status]).toEqual([
      'ARCHIVED',
      'PASSED',
      'RESOLVED',
    ]);
  });

  it('suppresses an excluded group’s finding even when it existed before as NEW', async () => {
    const { hub, store } = fakeHub();
    const { imp } = importer(hub);
    await imp.handle({ kind: 'import', runId: 'r1', resolves: false, findings: findingsFor(['/x']) });
    const excluded = buildFindings([{ outcome: 'excluded', logGroupName: '/x', reason: 'exclude-tag' }], CTX);
    await imp.handle({ kind: 'import', runId: 'r2', resolves: false, findings: excluded });
    expect(store.get(excluded[0]?.Id ?? '')?.Workflow?.Status).toBe('SUPPRESSED');
  });

  it('on a Security Hub error: counts it, and tells the run once, from the resolve message', async () => {
    const { hub } = fakeHub(
      new AwsCallError('BatchImportFindings', 'other', 'InvalidAccessException', 'not subscribed'),
    );
    const { imp, notices, metrics } = importer(hub);
    const first = await imp.handle({
      kind: 'import',
      runId: 'r1',
      resolves: true,
      findings: findingsFor(['/a']),
    });
    await imp.handle({ kind: 'import', runId: 'r1', resolves: true, findings: findingsFor(['/b']) });
    expect(first).toMatchObject({ error: 'InvalidAccessException: not subscribed', noticeSent: false });
    expect(notices).toEqual([]);
    await imp.handle(resolve('r1', '2026-01-02T00:00:00.000Z'));
    expect(notices).toEqual([
      'Security Hub findings for run r1 could not be imported: InvalidAccessException: not subscribed',
    ]);
    expect(metrics.filter((m) => m.name === 'FindingsFailed').length).toBe(3);
  });

  it('tells a run without a resolve at its first failing message, once', async () => {
    const { hub } = fakeHub(
      new AwsCallError('BatchImportFindings', 'throttled', 'ThrottlingException', 'Rate exceeded'),
    );
    const { imp, notices } = importer(hub);
    for (const n of ['/a', '/b'])
      await imp.handle({ kind: 'import', runId: 'r9', resolves: false, findings: findingsFor([n]) });
    expect(notices).toEqual([
      'Security Hub findings for run r9 could not be imported: ThrottlingException: Rate exceeded',
    ]);
  });
});
