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
  type PolicyScope,
  parseKeyPolicy,
  type UnknownCondition,
} from './key-policy';
import type { Finding, KeyFacts, KeyProblemCode, KeyReport, KeyWarningCode, PolicyStatement } from './types';

/** How the key policy bears on a given group. */
export type GroupPolicyAccess =
  | { kind: 'all-groups' }
  | { kind: 'per-group'; policy: KeyPolicy; patterns: string[] }
  | { kind: 'no-groups' }
  /** The policy could not be read, or its verdict hangs on unknown keys alike for every group: AWS decides. */
  | { kind: 'unknown' };

export interface KeyAssessment {
  usable: boolean;
  /** The resolved key ARN; CloudWatch Logs rejects anything else. */
  keyArn: string | undefined;
  access: GroupPolicyAccess;
  logs: LogsContext;
  /**
   * The statement to add to the key policy when the policy does not let CloudWatch Logs in; undefined when
   * adding it would not help (a Deny still blocks).
   */
  policyFix: PolicyStatement | undefined;
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
  let policyFix: PolicyStatement | undefined = buildLogsPolicyStatement(logs);
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
    warnings.push(...rotationWarnings(facts));
    const policy = assessPolicy(facts.policy, logs);
    access = policy.access;
    if (!policy.fixHelps) policyFix = undefined;
    problems.push(...policy.problems);
    warnings.push(...policy.warnings);
  }

  const usable = problems.every((p) => NON_BLOCKING.has(p.code));
  const showFix = policyFix !== undefined && problems.some((p) => p.code === 'KEY_POLICY_DENIES_LOGS');
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

/** Whether the key policy lets CloudWatch Logs use the key for this group; unknown verdicts are left to AWS. */
export function checkGroupAgainstPolicy(
  assessment: KeyAssessment,
  logGroupArn: string,
): { allowed: true } | { allowed: false; message: string } {
  const access = judgeGroupAccess(assessment, logGroupArn);
  return access.allowed === false ? access : { allowed: true };
}

/**
 * Three-valued: whether the key policy lets CloudWatch Logs use the key for this group. `unknown`
 * when the policy could not be read, or its verdict hangs on condition keys whose value is unknown.
 */
export function judgeGroupAccess(
  assessment: KeyAssessment,
  logGroupArn: string,
): { allowed: true } | { allowed: false; message: string } | { allowed: 'unknown' } {
  const { access, logs } = assessment;
  switch (access.kind) {
    case 'all-groups':
      return { allowed: true };
    case 'unknown':
      return { allowed: 'unknown' };
    case 'no-groups':
      return {
        allowed: false,
        message: `The key policy does not let ${logsServicePrincipal(logs.region)} use the key.`,
      };
    case 'per-group': {
      const verdict = evaluateGroupAccess(access.policy, logs, logGroupArn);
      if (verdict.allowed === true || verdict.allowed === 'unknown') return { allowed: verdict.allowed };
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

function rotationWarnings(facts: Extract<KeyFacts, { found: true }>): Finding<KeyWarningCode>[] {
  if (facts.rotationEnabled === false) {
    return [
      {
        code: 'KEY_ROTATION_DISABLED',
        message: 'Automatic key rotation is off; turn it on with kms:EnableKeyRotation.',
      },
    ];
  }
  if (facts.rotationEnabled === undefined) {
    return [{ code: 'KEY_ROTATION_UNKNOWN', message: 'The key rotation status could not be read.' }];
  }
  return [];
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

interface PolicyVerdict {
  access: GroupPolicyAccess;
  problems: Finding<KeyProblemCode>[];
  warnings: Finding<KeyWarningCode>[];
  /** False when adding {@link buildLogsPolicyStatement} would still not let CloudWatch Logs in. */
  fixHelps: boolean;
}

function assessPolicy(
  policyFacts: Extract<KeyFacts, { found: true }>['policy'],
  logs: LogsContext,
): PolicyVerdict {
  const unreadable = (detail: string): PolicyVerdict => ({
    access: { kind: 'unknown' },
    problems: [
      {
        code: 'KEY_POLICY_UNREADABLE',
        message: `The key policy could not be read (${detail}); associations are attempted and their errors diagnosed.`,
      },
    ],
    warnings: [],
    fixHelps: true,
  });
  if (!policyFacts.readable) return unreadable(`${policyFacts.errorCode}: ${policyFacts.message}`);
  const parsed = parseKeyPolicy(policyFacts.document);
  if (!parsed.ok) return unreadable(parsed.message);
  return judgePolicy(parsed.policy, logs);
}

function judgePolicy(policy: KeyPolicy, logs: LogsContext): PolicyVerdict {
  const principal = logsServicePrincipal(logs.region);
  const scope = assessPolicyScope(policy, logs);
  if (scope.scope === 'all-groups') {
    return { access: { kind: 'all-groups' }, problems: [], warnings: [], fixHelps: true };
  }
  const blocker = fixBlocker(policy, logs);
  const fixHelps = blocker === undefined;
  const warnings = scope.scope === 'no-groups' ? [] : unknownWarning(scope.unknowns, principal);
  switch (scope.scope) {
    case 'unknown':
      // As with an unreadable policy: associations are attempted and AWS decides.
      return { access: { kind: 'unknown' }, problems: [], warnings, fixHelps };
    case 'some-groups':
      warnings.unshift({
        code: 'KEY_POLICY_SCOPED',
        message: `The key policy lets ${principal} use the key only for some log groups (${scope.patterns.join(', ') || 'see the policy'}); the others are skipped.`,
      });
      return {
        access: { kind: 'per-group', policy, patterns: scope.patterns },
        problems: [],
        warnings,
        fixHelps,
      };
    case 'no-groups':
      return {
        access: { kind: 'no-groups' },
        problems: [{ code: 'KEY_POLICY_DENIES_LOGS', message: denialMessage(scope, blocker, logs) }],
        warnings,
        fixHelps,
      };
  }
}

/** What would still stand in CloudWatch Logs' way once the recommended statement is added. */
export type Blocker = { sid?: string; action: string; certain: boolean };

/** Undefined when adding {@link buildLogsPolicyStatement} lets CloudWatch Logs in for every group. */
export function fixBlocker(policy: KeyPolicy, logs: LogsContext): Blocker | undefined {
  const fixed = { statements: [...policy.statements, buildLogsPolicyStatement(logs)] };
  const after = assessPolicyScope(fixed, logs);
  if (after.scope === 'all-groups') return undefined;
  if (after.scope === 'no-groups') return { action: after.action, certain: true, ...sidOf(after.sid) };
  const openDeny = after.unknowns.find((u) => u.effect === 'Deny');
  const action = after.scope === 'unknown' ? after.action : 'some actions';
  return { action, certain: false, ...sidOf(openDeny?.sid) };
}

function sidOf(sid: string | undefined): { sid?: string } {
  return sid === undefined ? {} : { sid };
}

function denialMessage(
  scope: Extract<PolicyScope, { scope: 'no-groups' }>,
  blocker: Blocker | undefined,
  logs: LogsContext,
): string {
  const principal = logsServicePrincipal(logs.region);
  const deny = (sid: string | undefined) =>
    sid === undefined ? 'a Deny statement' : `the Deny statement ${sid}`;
  if (scope.reason === 'explicit-deny') {
    return `The key policy explicitly denies ${principal} the action ${scope.action} (${deny(scope.sid)}); adding an Allow cannot fix that.`;
  }
  const missing = `The key policy does not allow ${principal} the action ${scope.action} for any log group in ${logs.account} ${logs.region}.`;
  if (!blocker) return `${missing} Add the statement in policyFix.`;
  const verb = blocker.certain ? 'still denies' : 'may still deny';
  return `${missing} Adding an Allow would not be enough: ${deny(blocker.sid)} ${verb} ${blocker.action}.`;
}

function unknownWarning(unknowns: UnknownCondition[], principal: string): Finding<KeyWarningCode>[] {
  if (unknowns.length === 0) return [];
  const each = unknowns.map(({ effect, sid, keys }) => {
    const statement = sid === undefined ? `an ${effect} statement without Sid` : `${effect} statement ${sid}`;
    return `${keys.join(', ')} in ${statement} (${effect === 'Deny' ? 'may deny' : 'may not allow'})`;
  });
  return [
    {
      code: 'KEY_POLICY_CONDITION_UNEVALUATED',
      message: `The key policy's verdict for ${principal} hangs on condition keys whose value in its requests is not known: ${each.join('; ')}. Associations are attempted and AWS decides.`,
    },
  ];
}
