/**
 * Pure: judge the target key from the facts KMS gave, once per run.
 * The verdict says whether associations may be attempted at all, which problems and
 * warnings the report shows, and how to decide the key policy for each group.
 */
import { parseArn, partitionOf } from './arn';
import {
  assessPolicyScope,
  buildLogsPolicyStatement,
  evaluateGroupAccess,
  type KeyPolicy,
  type LogsContext,
  logsServicePrincipal,
  parseKeyPolicy,
  unevaluatedConditionKeys,
} from './key-policy';
import type { Finding, KeyFacts, KeyProblemCode, KeyReport, KeyWarningCode, PolicyStatement } from './types';

/** How the key policy bears on a given group. */
export type GroupPolicyAccess =
  | { kind: 'all-groups' }
  | { kind: 'per-group'; policy: KeyPolicy; patterns: string[] }
  | { kind: 'no-groups' }
  /** GetKeyPolicy was denied: try the association and let AWS decide. */
  | { kind: 'unknown' };

export interface KeyAssessment {
  usable: boolean;
  /** The resolved key ARN; CloudWatch Logs rejects anything else. */
  keyArn: string | undefined;
  access: GroupPolicyAccess;
  logs: LogsContext;
  /** The statement to add to the key policy, when the policy does not let CloudWatch Logs in. */
  policyFix: PolicyStatement;
  report: KeyReport;
}

/** Problems that do not block associations: AWS gets the last word on them. */
const NON_BLOCKING: ReadonlySet<KeyProblemCode> = new Set(['KEY_POLICY_UNREADABLE']);

/**
 * Assess the key for use by CloudWatch Logs in `region`, for groups of `account`.
 * @param account the account the log groups live in (the function's account)
 */
export function assessKey(facts: KeyFacts, region: string, account: string): KeyAssessment {
  const problems: Finding<KeyProblemCode>[] = [];
  const warnings: Finding<KeyWarningCode>[] = [];
  const requestedArn = parseArn(facts.requested);
  const keyArn = facts.found ? parseArn(facts.arn) : undefined;
  const logs: LogsContext = {
    partition: keyArn?.partition ?? requestedArn?.partition ?? partitionOf(region),
    region,
    account,
  };
  const policyFix = buildLogsPolicyStatement(logs);
  let access: GroupPolicyAccess = { kind: 'no-groups' };

  const keyRegion = keyArn?.region ?? requestedArn?.region;
  if (keyRegion !== undefined && keyRegion !== region) {
    problems.push({
      code: 'KEY_OTHER_REGION',
      message: `The key is in ${keyRegion}; CloudWatch Logs needs a key in the log groups' region, ${region}.`,
    });
  }

  if (!facts.found) {
    if (facts.transient) {
      // A throttle or a fault after the SDK's retries: no verdict on the key, and never "not found".
      problems.push({
        code: 'KEY_LOOKUP_FAILED',
        message: `The key ${facts.requested} could not be described this time (${facts.errorCode}: ${facts.message}); nothing was decided about it, and the next run asks again.`,
      });
    } else if (keyRegion === region || keyRegion === undefined) {
      problems.push({ code: 'KEY_NOT_FOUND', message: describeLookupFailure(facts) });
    }
  } else {
    problems.push(...checkKeyMetadata(facts));
    if (facts.rotationEnabled === false) {
      warnings.push({
        code: 'KEY_ROTATION_DISABLED',
        message: 'Automatic key rotation is off; turn it on with kms:EnableKeyRotation.',
      });
    } else if (facts.rotationEnabled === undefined) {
      warnings.push({ code: 'KEY_ROTATION_UNKNOWN', message: 'The key rotation status could not be read.' });
    }
    const policy = assessPolicy(facts.policy, logs);
    access = policy.access;
    problems.push(...policy.problems);
    warnings.push(...policy.warnings);
  }

  const usable = problems.every((p) => NON_BLOCKING.has(p.code));
  const showFix = problems.some((p) => p.code === 'KEY_POLICY_DENIES_LOGS');
  return {
    usable,
    keyArn: facts.found ? facts.arn : undefined,
    access,
    logs,
    policyFix,
    report: {
      requested: facts.requested,
      arn: facts.found ? facts.arn : null,
      state: facts.found ? facts.state : null,
      keySpec: facts.found ? facts.keySpec : null,
      keyUsage: facts.found ? facts.keyUsage : null,
      rotationEnabled: facts.found ? (facts.rotationEnabled ?? null) : null,
      usable,
      problems,
      warnings,
      ...(showFix ? { policyFix } : {}),
    },
  };
}

/** Whether the key policy lets CloudWatch Logs use the key for this group. */
export function checkGroupAgainstPolicy(
  assessment: KeyAssessment,
  logGroupArn: string,
): { allowed: true } | { allowed: false; message: string } {
  const { access, logs } = assessment;
  switch (access.kind) {
    case 'all-groups':
    case 'unknown':
      return { allowed: true };
    case 'no-groups':
      return {
        allowed: false,
        message: `The key policy does not let ${logsServicePrincipal(logs.region)} use the key.`,
      };
    case 'per-group': {
      const verdict = evaluateGroupAccess(access.policy, logs, logGroupArn);
      if (verdict.allowed) return { allowed: true };
      const why =
        verdict.reason === 'explicit-deny'
          ? `an explicit Deny${verdict.sid ? ` (${verdict.sid})` : ''} of ${verdict.action}`
          : `no Allow of ${verdict.action} for this group (the key is scoped to ${access.patterns.join(', ') || 'other groups'})`;
      return {
        allowed: false,
        message: `The key policy does not let ${logsServicePrincipal(logs.region)} use the key for this group: ${why}.`,
      };
    }
  }
}

function describeLookupFailure(facts: Extract<KeyFacts, { found: false }>): string {
  if (facts.errorCode === 'NotFoundException')
    return `No key ${facts.requested} exists in this account and region.`;
  if (facts.errorCode === 'AccessDeniedException') {
    return `The key ${facts.requested} does not exist, or the function's role may not call kms:DescribeKey on it: ${facts.message}`;
  }
  return `The key ${facts.requested} could not be described: ${facts.errorCode}: ${facts.message}`;
}

function checkKeyMetadata(facts: Extract<KeyFacts, { found: true }>): Finding<KeyProblemCode>[] {
  const problems: Finding<KeyProblemCode>[] = [];
  if (facts.state !== 'Enabled') {
    problems.push({ code: 'KEY_NOT_ENABLED', message: `The key is ${facts.state}; it must be Enabled.` });
  }
  if (facts.keySpec !== 'SYMMETRIC_DEFAULT') {
    problems.push({
      code: 'KEY_NOT_SYMMETRIC',
      message: `The key spec is ${facts.keySpec}; CloudWatch Logs needs a symmetric key (SYMMETRIC_DEFAULT).`,
    });
  }
  if (facts.keyUsage !== 'ENCRYPT_DECRYPT') {
    problems.push({
      code: 'KEY_WRONG_USAGE',
      message: `The key usage is ${facts.keyUsage}; CloudWatch Logs needs ENCRYPT_DECRYPT.`,
    });
  }
  if (facts.keyManager !== 'CUSTOMER') {
    problems.push({
      code: 'KEY_NOT_CUSTOMER_MANAGED',
      message: `The key is managed by ${facts.keyManager}; CloudWatch Logs needs a customer-managed key.`,
    });
  }
  return problems;
}

function assessPolicy(
  policyFacts: Extract<KeyFacts, { found: true }>['policy'],
  logs: LogsContext,
): { access: GroupPolicyAccess; problems: Finding<KeyProblemCode>[]; warnings: Finding<KeyWarningCode>[] } {
  const principal = logsServicePrincipal(logs.region);
  const unreadable = (detail: string) => ({
    access: { kind: 'unknown' } as const,
    problems: [
      {
        code: 'KEY_POLICY_UNREADABLE' as const,
        message: `The key policy could not be read (${detail}); associations are attempted and their errors diagnosed.`,
      },
    ],
    warnings: [],
  });
  if (!policyFacts.readable) return unreadable(`${policyFacts.errorCode}: ${policyFacts.message}`);
  const parsed = parseKeyPolicy(policyFacts.document);
  if (!parsed.ok) return unreadable(parsed.message);

  const warnings: Finding<KeyWarningCode>[] = [];
  const unevaluated = unevaluatedConditionKeys(parsed.policy, logs);
  if (unevaluated.length > 0) {
    warnings.push({
      code: 'KEY_POLICY_CONDITION_UNEVALUATED',
      message: `The key policy has conditions on ${unevaluated.join(', ')}, assumed to be met for ${principal}.`,
    });
  }
  const scope = assessPolicyScope(parsed.policy, logs);
  switch (scope.scope) {
    case 'all-groups':
      return { access: { kind: 'all-groups' }, problems: [], warnings };
    case 'some-groups':
      warnings.push({
        code: 'KEY_POLICY_SCOPED',
        message: `The key policy lets ${principal} use the key only for some log groups (${scope.patterns.join(', ') || 'see the policy'}); the others are skipped.`,
      });
      return {
        access: { kind: 'per-group', policy: parsed.policy, patterns: scope.patterns },
        problems: [],
        warnings,
      };
    case 'no-groups':
      return {
        access: { kind: 'no-groups' },
        problems: [
          {
            code: 'KEY_POLICY_DENIES_LOGS',
            message:
              scope.reason === 'explicit-deny'
                ? `The key policy explicitly denies ${principal} the action ${scope.action}.`
                : `The key policy does not allow ${principal} the action ${scope.action} for any log group in ${logs.account} ${logs.region}. Add the statement in policyFix.`,
          },
        ],
        warnings,
      };
  }
}
