/**
 * Watches associations for signs that the key itself went bad mid-run (disabled, scheduled for
 * deletion, deleted). On such a failure it checks the key again, at most once per
 * KEY_FAILURE_THRESHOLD failures and MAX_KEY_RECHECKS times a run; once the key is unusable, the
 * remaining groups are skipped instead of failing one by one.
 */
import type { Config } from '../core/config';
import { AwsCallError } from '../core/errors';
import { assessKey, type KeyAssessment } from '../core/key-check';
import type { Ports } from '../core/ports';
import type { Finding, KeyProblemCode, KeyReport } from '../core/types';

/** Association failures pointing at the key between two checks of the key. */
export const KEY_FAILURE_THRESHOLD = 3;

/** Checks of the key a run may make after its first, so a policy that keeps refusing costs few KMS calls. */
export const MAX_KEY_RECHECKS = 5;

export interface KeyHealth {
  wentBad(): boolean;
  reason(): string;
  succeeded(): void;
  /** Whether this association failure is explained by the key having gone bad. */
  isKeyFailure(error: unknown): Promise<boolean>;
  /** The key section of the report: the first check, and what went wrong during the run. */
  report(): KeyReport;
}

export function createKeyHealth(
  initial: KeyAssessment,
  ports: Ports,
  config: Readonly<Config>,
  account: string,
): KeyHealth {
  let failuresSinceCheck: number | undefined;
  let recheck: Promise<void> | undefined;
  let bad: { problems: Finding<KeyProblemCode>[]; reason: string } | undefined;
  let checksLeft = MAX_KEY_RECHECKS;

  const checkKeyAgain = async () => {
    checksLeft--;
    ports.keys.forget?.();
    const facts = await ports.keys.readKeyFacts(config.kmsKeyId);
    // A lookup that failed for another reason than "not found" (throttling, say) proves nothing.
    if (!facts.found && facts.errorCode !== 'NotFoundException') return;
    const now = assessKey(facts, config.region, account);
    if (now.usable) return;
    const problems = now.report.problems.filter((p) => p.code !== 'KEY_POLICY_UNREADABLE');
    bad = {
      problems,
      reason: `The key became unusable during the run: ${problems.map((p) => p.message).join(' ')}`,
    };
    ports.log.error('Key became unusable mid-run; skipping the remaining groups', { problems });
  };

  const dueForCheck = () =>
    !bad &&
    !recheck &&
    checksLeft > 0 &&
    (failuresSinceCheck === undefined || failuresSinceCheck >= KEY_FAILURE_THRESHOLD);

  return {
    wentBad: () => bad !== undefined,
    reason: () => bad?.reason ?? '',
    succeeded() {
      failuresSinceCheck = undefined;
    },
    async isKeyFailure(error) {
      const kind = error instanceof AwsCallError ? error.kind : 'other';
      if (kind !== 'invalid-parameter' && kind !== 'access-denied') return false;
      if (dueForCheck()) {
        failuresSinceCheck = 0;
        recheck = checkKeyAgain().finally(() => {
          recheck = undefined;
        });
      } else if (failuresSinceCheck !== undefined) {
        failuresSinceCheck++;
      }
      await recheck?.catch(() => undefined);
      return bad !== undefined;
    },
    report: () => withProblemsDuringRun(initial.report, bad?.problems),
  };
}

function withProblemsDuringRun(first: KeyReport, problems: Finding<KeyProblemCode>[] | undefined): KeyReport {
  if (!problems) return first;
  const became = problems.map((p) => ({ ...p, message: `During the run: ${p.message}` }));
  return { ...first, usable: false, problems: [...first.problems, ...became] };
}
