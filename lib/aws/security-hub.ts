/**
 * Security Hub adapter, for the findings function only: the remediator's bundle must not carry
 * this client (its zip is held to 250 KiB; test/unit/template.test.ts checks it is not there).
 *
 * IAM: securityhub:BatchImportFindings
 * IAM: securityhub:GetFindings
 * IAM: securityhub:BatchUpdateFindings
 *
 * BatchImportFindings authorizes on the product resource, GetFindings and BatchUpdateFindings on
 * the hub (Service Authorization Reference, "Actions, resources, and condition keys for AWS
 * Security Hub": product arn:${Partition}:securityhub:${Region}:${Account}:product/${Company}/${ProductId},
 * hub arn:${Partition}:securityhub:${Region}:${Account}:hub/default).
 */
import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  paginateGetFindings,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { AwsCallError } from '../core/errors';
import type { AsffFinding } from '../core/findings';
import type { FindingsFilter, SecurityHubPort } from '../core/ports';
import { type ClientOptions, markExtraRetryable } from './clients';
import { callAws, toAwsCallError } from './errors';

export function createSecurityHubClient(options: ClientOptions): SecurityHubClient {
  const client = new SecurityHubClient({ ...options, retryMode: 'adaptive' });
  markExtraRetryable(client);
  return client;
}

export function createSecurityHubAdapter(client: SecurityHubClient): SecurityHubPort {
  return {
    async importFindings(findings) {
      const answer = await callAws('BatchImportFindings', () =>
        client.send(new BatchImportFindingsCommand({ Findings: findings as AwsSecurityFinding[] })),
      );
      const failed = (answer.FailedFindings ?? []).map((f) => ({
        id: f.Id ?? '',
        code: f.ErrorCode ?? 'UnknownError',
        message: f.ErrorMessage ?? '',
      }));
      return { failed };
    },
    async *findFindings(filter) {
      try {
        const pages = paginateGetFindings({ client }, { Filters: filtersOf(filter), MaxResults: 100 });
        for await (const page of pages) yield (page.Findings ?? []) as AsffFinding[];
      } catch (error) {
        throw toAwsCallError('GetFindings', error);
      }
    },
    async setWorkflowStatus(findings, status) {
      const answer = await callAws('BatchUpdateFindings', () =>
        client.send(
          new BatchUpdateFindingsCommand({
            FindingIdentifiers: findings.map(({ Id, ProductArn }) => ({ Id, ProductArn })),
            Workflow: { Status: status },
          }),
        ),
      );
      // A 200 can still leave findings unprocessed, each with its own error: not a success to keep quiet about.
      const unprocessed = answer.UnprocessedFindings ?? [];
      if (unprocessed.length > 0) {
        const [first] = unprocessed;
        throw new AwsCallError(
          'BatchUpdateFindings',
          'other',
          first?.ErrorCode ?? 'UnprocessedFindings',
          `${unprocessed.length} of ${findings.length} findings were not set to ${status}: ${first?.ErrorMessage ?? 'no reason given'}`,
        );
      }
    },
  };
}

/** GetFindings filters (AwsSecurityFindingFilters): StringFilter EQUALS/PREFIX, DateFilter End. */
function filtersOf(filter: FindingsFilter): AwsSecurityFindingFilters {
  return {
    ProductArn: [{ Value: filter.productArn, Comparison: 'EQUALS' }],
    GeneratorId: [{ Value: filter.generatorId, Comparison: 'EQUALS' }],
    RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
    UpdatedAt: [{ End: filter.updatedAtOrBefore }],
    ...(filter.resourcePrefix
      ? { ResourceId: [{ Value: filter.resourcePrefix, Comparison: 'PREFIX' }] }
      : {}),
    ...(filter.findingId ? { Id: [{ Value: filter.findingId, Comparison: 'EQUALS' }] } : {}),
  };
}
