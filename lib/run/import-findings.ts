/**
 * The findings function's work: each FindingsTopic message becomes Security Hub calls.
 *
 * - `import`: one BatchImportFindings of its (up to 100) findings, paced; the excluded groups'
 *   findings then get workflow SUPPRESSED by BatchUpdateFindings, since BatchImportFindings can
 *   set Workflow only when it creates a finding (BatchImportFindings API reference: after a
 *   finding is created, it "cannot be used to update ... Workflow").
 * - `resolve`: the product's ACTIVE findings last updated before the run started were not seen
 *   again by a run that saw every group: their groups are compliant now (or gone). Each is
 *   imported again with Compliance PASSED and RecordState ARCHIVED (fields a provider owns), then
 *   given workflow RESOLVED by BatchUpdateFindings (a field only BatchUpdateFindings can change).
 *
 * Why the order of the messages does not matter: a resolve selects findings by UpdatedAt, not by
 * what arrived first. An import of the same run handled before the resolve has set UpdatedAt to
 * the run's time, at or after its start, so the resolve leaves it alone. Handled after it, the
 * import finds the finding archived and makes it ACTIVE and FAILED again, and Security Hub then
 * resets its workflow from RESOLVED to NEW (Security Hub API reference, Workflow): the same end.
 * A late import of an older run can reopen a finding; the next complete run's resolve closes it
 * again, as its UpdatedAt is before that run's start.
 *
 * A Security Hub error never throws the run away: it is logged, counted (FindingsFailed), and
 * told once per run on the report topic, from the resolve message when one is to follow.
 */
import { AwsCallError } from '../core/errors';
import { type AsffFinding, FINDINGS_PER_BATCH, GENERATOR_ID, resolvedFinding } from '../core/findings';
import type { FindingsMessage, ImportMessage, ResolveMessage } from '../core/findings-message';
import type { LogPort, MetricsPort, ReportsPort, SecurityHubPort } from '../core/ports';
import { createPacer, type Pacer } from './pacer';

export interface FindingsPorts {
  hub: SecurityHubPort;
  reports: ReportsPort;
  metrics: MetricsPort;
  log: LogPort;
}

export interface FindingsRunConfig {
  reportTopicArn: string;
  /** BatchImportFindings and BatchUpdateFindings calls a second at most; 0: unpaced. */
  importTps: number;
}

export interface HandledMessage {
  runId: string;
  imported: number;
  resolved: number;
  /** Why Security Hub did not take the message. */
  error?: string;
  /** Whether this message's handling sent the run's notice. */
  noticeSent: boolean;
}

export interface FindingsImporter {
  handle(message: FindingsMessage): Promise<HandledMessage>;
}

/** Runs remembered by a warm container (failures awaiting a resolve, notices sent). */
const REMEMBERED_RUNS = 100;

export function createFindingsImporter(
  config: FindingsRunConfig,
  ports: FindingsPorts,
  pacer: Pacer = createPacer(config.importTps),
): FindingsImporter {
  const failures = new Map<string, string>();
  const noticed = new Set<string>();
  const hub = pacedHub(ports.hub, pacer);
  const notify = (runId: string, why: string) => sendNotice(config, ports, noticed, runId, why);

  return {
    async handle(message) {
      const done = { runId: message.runId, imported: 0, resolved: 0, noticeSent: false };
      try {
        if (message.kind === 'import') done.imported = await importAll(hub, message);
        else done.resolved = await resolveStale(hub, message, ports.log);
      } catch (error) {
        const why = describe(error);
        ports.log.error('Security Hub did not take the findings', {
          runId: message.runId,
          kind: message.kind,
          error: why,
        });
        ports.metrics.recordRun([{ name: 'FindingsFailed', unit: 'Count', value: 1 }]);
        if (message.kind === 'import' && message.resolves) {
          remember(failures, message.runId, why);
          return { ...done, error: why };
        }
        return { ...done, error: why, noticeSent: await notify(message.runId, why) };
      }
      const earlier = message.kind === 'resolve' ? failures.get(message.runId) : undefined;
      return earlier ? { ...done, error: earlier, noticeSent: await notify(message.runId, earlier) } : done;
    },
  };
}

/** The hub, with every write paced: BatchImportFindings allows 10 a second, burst 30. */
function pacedHub(hub: SecurityHubPort, pacer: Pacer): SecurityHubPort {
  return {
    findFindings: (filter) => hub.findFindings(filter),
    async importFindings(findings) {
      await pacer.acquire();
      return hub.importFindings(findings);
    },
    async setWorkflowStatus(findings, status) {
      await pacer.acquire();
      return hub.setWorkflowStatus(findings, status);
    },
  };
}

async function importAll(hub: SecurityHubPort, message: ImportMessage): Promise<number> {
  await importBatch(hub, message.findings);
  const suppressed = message.findings.filter((f) => f.Workflow?.Status === 'SUPPRESSED');
  if (suppressed.length > 0) await hub.setWorkflowStatus(suppressed, 'SUPPRESSED');
  return message.findings.length;
}

async function importBatch(hub: SecurityHubPort, findings: readonly AsffFinding[]): Promise<void> {
  const { failed } = await hub.importFindings(findings);
  const first = failed[0];
  if (first) {
    throw new FindingsRefused(
      `${first.code}: ${first.message} (${failed.length} of ${findings.length} refused)`,
    );
  }
}

async function resolveStale(hub: SecurityHubPort, message: ResolveMessage, log: LogPort): Promise<number> {
  // Collected first: resolving while paging would change the result set under the page token.
  const stale: AsffFinding[] = [];
  const pages = hub.findFindings({
    productArn: message.productArn,
    generatorId: GENERATOR_ID,
    // DateFilter End is inclusive; the run's own findings carry UpdatedAt >= its start.
    updatedAtOrBefore: new Date(Date.parse(message.startedAt) - 1).toISOString(),
    ...(message.resourcePrefix ? { resourcePrefix: message.resourcePrefix } : {}),
    ...(message.findingId ? { findingId: message.findingId } : {}),
  });
  for await (const page of pages) stale.push(...page);
  for (let i = 0; i < stale.length; i += FINDINGS_PER_BATCH) {
    const batch = stale.slice(i, i + FINDINGS_PER_BATCH);
    await importBatch(
      hub,
      batch.map((f) => resolvedFinding(f, message.finishedAt)),
    );
    await hub.setWorkflowStatus(batch, 'RESOLVED');
  }
  log.info('Findings resolved', { runId: message.runId, resolved: stale.length });
  return stale.length;
}

class FindingsRefused extends Error {}

function describe(error: unknown): string {
  if (error instanceof AwsCallError) return `${error.code}: ${error.awsMessage}`;
  return error instanceof Error ? error.message : String(error);
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key)) map.set(key, value);
  for (const old of map.keys()) {
    if (map.size <= REMEMBERED_RUNS) break;
    map.delete(old);
  }
}

/** The run's one notice on the report topic. A notice that cannot be sent is logged, not thrown. */
async function sendNotice(
  config: FindingsRunConfig,
  ports: FindingsPorts,
  noticed: Set<string>,
  runId: string,
  why: string,
): Promise<boolean> {
  if (noticed.has(runId)) return false;
  noticed.add(runId);
  if (noticed.size > REMEMBERED_RUNS) noticed.delete(noticed.values().next().value as string);
  const text = `Security Hub findings for run ${runId} could not be imported: ${why}`;
  try {
    await ports.reports.publishReport({
      topicArn: config.reportTopicArn,
      subject: 'logs-kms-remediator: Security Hub findings not imported',
      message: JSON.stringify({ default: text }),
      attributes: { status: 'findings-not-imported' },
    });
    return true;
  } catch (error) {
    ports.log.error('The notice could not be published', { runId, notice: text, error: describe(error) });
    return false;
  }
}
