/**
 * Step 1: resolve and assess the target key, once per invocation.
 */
import { parseArn } from '../core/arn';
import type { Config } from '../core/config';
import { assessKey, type KeyAssessment } from '../core/key-check';
import type { Ports } from '../core/ports';
import type { KeyFacts } from '../core/types';
import type { RunContext } from './run-context';

export interface AssessedKey {
  facts: KeyFacts;
  assessment: KeyAssessment;
  /** The log groups' account: the function's, else the key's. */
  account: string;
}

export async function assessTargetKey(
  config: Readonly<Config>,
  ports: Ports,
  context: RunContext,
): Promise<AssessedKey> {
  const facts = await ports.keys.readKeyFacts(config.kmsKeyId);
  const account =
    context.account ?? parseArn(facts.found ? facts.arn : facts.requested)?.account ?? 'unknown';
  const assessment = assessKey(facts, config.region, account);
  ports.log.info('Key assessed', { key: assessment.report });
  return { facts, assessment, account };
}
