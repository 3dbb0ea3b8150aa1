/**
 * Pure evaluator for one question: does a KMS key policy let CloudWatch Logs use the key for a log group?
 *
 * CloudWatch Logs calls KMS as the regional service principal `logs.<region>.amazonaws.com`, with the
 * encryption context `aws:logs:arn` set to the log group ARN (without the trailing `:*`). A key policy
 * grants that when every required KMS action is allowed and none is explicitly denied, IAM style.
 *
 * The evaluator answers two shapes of question with one procedure:
 * - one log group ARN ({@link evaluateGroupAccess});
 * - every log group of an account and region at once ({@link assessPolicyScope}), i.e. every ARN with the
 *   prefix `arn:<partition>:logs:<region>:<account>:log-group:`. Each condition then answers `all`, `some`
 *   or `none` of those groups; for a single group only `all` or `none` can come out.
 */
import {
  arnParts,
  compileGlob,
  evaluateClause,
  type GlobToken,
  globMatches,
  globStates,
  type KeyLookup,
  type ParsedOperator,
  parseOperator,
  resolveVariables,
  splitArnTokens,
  type Tri,
  variableKeys,
} from './iam-condition';
import { isGroupDependentKey, lookUpLogsRequestKey } from './logs-request-context';
import type { PolicyStatement } from './types';

/** The actions the policy statement must allow, as the AWS docs write them (recommend these in a fix). */
export const LOGS_KEY_POLICY_ACTIONS = [
  'kms:Encrypt*',
  'kms:Decrypt*',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:Describe*',
] as const;

/** The concrete API actions CloudWatch Logs calls on the key; each must be allowed. */
export const LOGS_REQUIRED_KMS_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
] as const;

/** One of {@link LOGS_REQUIRED_KMS_ACTIONS}. */
export type LogsKmsAction = (typeof LOGS_REQUIRED_KMS_ACTIONS)[number];

/** The condition key through which a key policy can scope CloudWatch Logs to some log groups. */
export const LOGS_ARN_CONTEXT_KEY = 'kms:EncryptionContext:aws:logs:arn';

/** The Sid of the statement {@link buildLogsPolicyStatement} recommends. */
export const LOGS_POLICY_STATEMENT_SID = 'AllowCloudWatchLogsForLogGroupsInThisAccount';

/** The service principal CloudWatch Logs uses in `region`. It is regional: `logs.amazonaws.com` is not it. */
export function logsServicePrincipal(region: string): string {
  return `logs.${region}.amazonaws.com`;
}

/** A parsed key policy: `Statement` is always a list, `Effect` is spelt `Allow`/`Deny`, condition values are strings. */
export interface KeyPolicy {
  statements: PolicyStatement[];
}

/** Where the log groups live. */
export interface LogsContext {
  partition: string;
  region: string;
  account: string;
}

/** The ARN every log group of `ctx` starts with; the log group name follows it. */
export function logGroupArnPrefix(ctx: LogsContext): string {
  return `arn:${ctx.partition}:logs:${ctx.region}:${ctx.account}:log-group:`;
}

/** A statement whose outcome hangs on condition keys the request model does not know. */
export interface UnknownCondition {
  effect: PolicyStatement['Effect'];
  sid?: string;
  keys: string[];
}

/**
 * Verdict for one group ARN (without trailing ':*'). `unknown`: no statement surely denies, but the outcome
 * hangs on keys the request model cannot know (an open Deny "may deny", an open Allow "may allow").
 */
export type GroupAccess =
  | { allowed: true }
  | { allowed: false; reason: 'no-allow' | 'explicit-deny'; action: string; sid?: string }
  | { allowed: 'unknown'; action: string; unknowns: UnknownCondition[] };

/** Key-level verdict, used once per run. */
export type PolicyScope =
  /** Every group in the context's account and region is allowed. */
  | { scope: 'all-groups' }
  /** Conditions scope the grant: decide per group with {@link evaluateGroupAccess}. `patterns` are for messages. */
  | { scope: 'some-groups'; patterns: string[]; unknowns: UnknownCondition[] }
  /** Every group alike hangs on keys the request model does not know: AWS decides. */
  | { scope: 'unknown'; action: string; unknowns: UnknownCondition[] }
  /** No group of the account and region can be allowed; `action` is the first required action that fails. */
  | { scope: 'no-groups'; reason: 'no-allow' | 'explicit-deny'; action: string; sid?: string };

// ---------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------

/** Thrown inside the parser only; {@link parseKeyPolicy} turns it into `ok: false`. */
class PolicyShapeError extends Error {}

function invalid(message: string): never {
  throw new PolicyShapeError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parse key policy JSON text into a {@link KeyPolicy}. Never throws.
 *
 * Accepts what IAM accepts: `Statement` as one object or a list, `Action`/`Resource` as a string or a list,
 * `Principal` as `"*"` or an object. Fails on text that is not JSON, a policy without `Statement`, and on
 * statements whose shape no IAM policy can have (e.g. `Effect: "Maybe"`, a numeric `Action`).
 */
export function parseKeyPolicy(
  text: string,
): { ok: true; policy: KeyPolicy } | { ok: false; message: string } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Key policy is not valid JSON: ${(error as Error).message}` };
  }
  if (!isRecord(document)) return { ok: false, message: 'Key policy is not a JSON object' };
  if (document.Statement === undefined) return { ok: false, message: 'Key policy has no Statement' };
  const raw = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  try {
    return { ok: true, policy: { statements: raw.map(parseStatement) } };
  } catch (error) {
    if (error instanceof PolicyShapeError) return { ok: false, message: error.message };
    throw error;
  }
}

function parseStatement(raw: unknown, index: number): PolicyStatement {
  const where = `Statement[${index}]`;
  if (!isRecord(raw)) invalid(`${where} is not an object`);
  const statement: PolicyStatement = { Effect: parseEffect(raw.Effect, where) };
  if (raw.Sid !== undefined) statement.Sid = String(raw.Sid);
  for (const field of ['Principal', 'NotPrincipal'] as const) {
    if (raw[field] !== undefined) statement[field] = parsePrincipal(raw[field], `${where}.${field}`);
  }
  for (const field of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (raw[field] !== undefined) statement[field] = parseStringOrList(raw[field], `${where}.${field}`);
  }
  if (raw.Condition !== undefined) statement.Condition = parseCondition(raw.Condition, `${where}.Condition`);
  return statement;
}

function parseEffect(raw: unknown, where: string): PolicyStatement['Effect'] {
  // KMS validates policies when they are set, so spelling is not our concern: only the meaning.
  const effect = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  if (effect === 'allow') return 'Allow';
  if (effect === 'deny') return 'Deny';
  return invalid(`${where}.Effect is ${JSON.stringify(raw ?? null)}; expected "Allow" or "Deny"`);
}

function parsePrincipal(raw: unknown, where: string): NonNullable<PolicyStatement['Principal']> {
  if (raw === '*') return '*';
  if (!isRecord(raw)) return invalid(`${where} must be "*" or an object`);
  const principal: Record<string, string | string[]> = {};
  for (const [type, ids] of Object.entries(raw)) principal[type] = parseStringOrList(ids, `${where}.${type}`);
  return principal;
}

function parseStringOrList(raw: unknown, where: string): string | string[] {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) return raw;
  return invalid(`${where} must be a string or a list of strings`);
}

function parseCondition(raw: unknown, where: string): NonNullable<PolicyStatement['Condition']> {
  if (!isRecord(raw)) invalid(`${where} must be an object`);
  const condition: NonNullable<PolicyStatement['Condition']> = {};
  for (const [operator, block] of Object.entries(raw)) {
    if (!isRecord(block)) invalid(`${where}.${operator} must be an object`);
    const parsed: Record<string, string | string[]> = {};
    for (const [key, values] of Object.entries(block)) {
      parsed[key] = parseConditionValues(values, `${where}.${operator}.${key}`);
    }
    condition[operator] = parsed;
  }
  return condition;
}

/** IAM accepts `true` and `5` for `"true"` and `"5"` in conditions; keep strings only. */
function parseConditionValues(raw: unknown, where: string): string | string[] {
  const scalar = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return invalid(`${where} must be a string, number, boolean or a list of them`);
  };
  return Array.isArray(raw) ? raw.map(scalar) : scalar(raw);
}
// ---------------------------------------------------------------------------------------------------------
// Principal, action and resource
// ---------------------------------------------------------------------------------------------------------

function toList(value: string | string[] | boolean | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}

function principalElementCovers(principal: PolicyStatement['Principal'], service: string): boolean {
  if (principal === undefined) return false;
  if (principal === '*') return true;
  return Object.entries(principal).some(([type, ids]) =>
    toList(ids).some((id) => {
      // `{"AWS": "*"}` is IAM's other spelling of "everyone"; any other AWS principal is an account or a
      // role, never a service.
      if (type.toLowerCase() === 'aws') return id === '*';
      return type.toLowerCase() === 'service' && id.toLowerCase() === service.toLowerCase();
    }),
  );
}

function appliesToPrincipal(statement: PolicyStatement, service: string): boolean {
  if (statement.Principal !== undefined) return principalElementCovers(statement.Principal, service);
  // NotPrincipal: the statement applies to everyone it does not list.
  if (statement.NotPrincipal !== undefined) return !principalElementCovers(statement.NotPrincipal, service);
  // A key policy statement without a principal is malformed (KMS refuses it): it grants nothing.
  return false;
}

function appliesToAction(statement: PolicyStatement, action: string): boolean {
  const listed = (patterns: string | string[]) => toList(patterns).some((p) => actionMatches(p, action));
  if (statement.Action !== undefined) return listed(statement.Action);
  // NotAction: the statement covers every action it does not list.
  if (statement.NotAction !== undefined) return !listed(statement.NotAction);
  return false;
}

/**
 * A key policy only governs its own key, so `Resource` (`"*"` or the key ARN) always names this key.
 * `NotResource` excludes this key only when it says `*`: we do not know the key's ARN, and a key policy
 * excluding its own key by ARN would be perverse.
 */
function appliesToResource(statement: PolicyStatement): boolean {
  if (statement.NotResource === undefined) return true;
  return !toList(statement.NotResource).some((pattern) => /^\*+$/.test(pattern));
}

/** IAM actions compare case-insensitively and allow wildcards (`kms:*`, `kms:Encrypt*`, `KMS:decrypt`). */
function actionMatches(pattern: string, action: string): boolean {
  return globMatches(compileGlob(pattern.toLowerCase(), true), action.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------------------

/** The log groups a question is about: one ARN, or every ARN that starts with a prefix. */
type GroupSet = { kind: 'one'; arn: string } | { kind: 'prefix'; prefix: string };

/** How many groups of a set a group-dependent clause covers. */
type Scope = 'all' | 'some' | 'none';

/** Which outcomes occur among the groups of a set; for one group, exactly one does. */
type Outcomes = ReadonlySet<Tri>;

const ONLY_YES: Outcomes = new Set(['yes']);
const ONLY_NO: Outcomes = new Set(['no']);

function only(outcomes: Outcomes, value: Tri): boolean {
  return outcomes.size === 1 && outcomes.has(value);
}

/** Scope of "all of": `none` when one covers nothing, `all` when all cover everything. */
function allOf(scopes: Scope[]): Scope {
  if (scopes.includes('none')) return 'none';
  return scopes.every((scope) => scope === 'all') ? 'all' : 'some';
}

function anyOfScopes(scopes: Scope[]): Scope {
  if (scopes.includes('all')) return 'all';
  return scopes.every((scope) => scope === 'none') ? 'none' : 'some';
}

function negate(scope: Scope): Scope {
  if (scope === 'all') return 'none';
  return scope === 'none' ? 'all' : 'some';
}

/**
 * How many of the strings `prefix + anything` the glob matches. Exact for `none` (any position still
 * reachable can be completed), and `all` when a trailing run of stars is reachable; anything else is `some`.
 */
function globScopeOverPrefix(glob: GlobToken[], prefix: string): Scope {
  const states = globStates(glob, prefix);
  if (states.size === 0) return 'none';
  const acceptsAnyRest = [...states].some(
    (state) => state < glob.length && glob.slice(state).every((token) => token.kind === 'star'),
  );
  return acceptsAnyRest ? 'all' : 'some';
}

/**
 * How many groups with ARNs `prefix + name` one policy value matches. The prefix is cut into parts the
 * same way as the pattern: all but the last must match exactly, the last is a prefix.
 */
function valueScopeOverPrefix(operator: ParsedOperator, value: string, prefix: string): Scope {
  const ignoreCase = operator.family === 'string-ic';
  const wildcards = operator.family === 'like' || operator.family === 'arn';
  const fold = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  const pattern = compileGlob(fold(value), wildcards);
  const globs = operator.family === 'arn' ? splitArnTokens(pattern) : [pattern];
  const parts = operator.family === 'arn' ? arnParts(fold(prefix)) : [fold(prefix)];
  // An ARN pattern with fewer than six parts matches no ARN.
  if (!globs || !parts) return 'none';
  const last = globs.length - 1;
  for (let i = 0; i < last; i++) {
    if (!globMatches(globs[i] ?? [], parts[i] ?? '')) return 'none';
  }
  return globScopeOverPrefix(globs[last] ?? [], parts[last] ?? '');
}

const PREFIX_FAMILIES = new Set(['string', 'string-ic', 'like', 'arn']);

/**
 * Scope of a clause on the log group key over every group with the prefix. The key is always present and
 * single-valued, so `…IfExists` and the set operators change nothing; other operator families never match an
 * ARN the same way for every group, so one sample group answers for all.
 */
function groupClauseScope(
  operatorName: string,
  values: string[],
  prefix: string,
  lookup: KeyLookup,
): Scope | 'unknown' {
  const operator = parseOperator(operatorName);
  if (!operator) return 'unknown';
  if (!PREFIX_FAMILIES.has(operator.family)) {
    return evaluateClause(operatorName, LOGS_ARN_CONTEXT_KEY, values, lookup).result === 'yes'
      ? 'all'
      : 'none';
  }
  // Variables on the group's own ARN differ per group; others are filled in, world by world.
  if (values.some((v) => v.toLowerCase().includes(`\${${LOGS_ARN_CONTEXT_KEY.toLowerCase()}`))) return 'some';
  const worlds = resolveVariables(values, lookup);
  if (!Array.isArray(worlds)) return 'unknown';
  const scopes = new Set(
    worlds.map((resolved) => {
      const comparable = resolved.filter((value): value is string => isComparable(operator, value));
      const matched = anyOfScopes(comparable.map((value) => valueScopeOverPrefix(operator, value, prefix)));
      if (!operator.negated) return matched;
      // A negated operator holds only when every value is a clean non-match.
      return comparable.length === resolved.length ? negate(matched) : 'none';
    }),
  );
  if (scopes.size === 1) return [...scopes][0] ?? 'none';
  return scopes.has('some') ? 'some' : 'unknown';
}

/** Whether IAM can compare a request ARN with this policy value at all (a variable unset, a short ARN: no). */
function isComparable(operator: ParsedOperator, value: string | undefined): boolean {
  if (value === undefined) return false;
  return operator.family !== 'arn' || splitArnTokens(compileGlob(value, true)) !== undefined;
}

interface Clause {
  operator: string;
  key: string;
  values: string[];
}

function clausesOf(statement: PolicyStatement): Clause[] {
  return Object.entries(statement.Condition ?? {}).flatMap(([operator, block]) =>
    Object.entries(block).map(([key, values]) => ({ operator, key, values: toList(values) })),
  );
}

/** Whether the clause's answer differs from group to group: its key, or a variable in it, is the group's ARN. */
function dependsOnGroup(clause: Clause): boolean {
  const variableOnGroup = clause.values.some((v) =>
    v.toLowerCase().includes(`\${${LOGS_ARN_CONTEXT_KEY.toLowerCase()}`),
  );
  return isGroupDependentKey(clause.key) || variableOnGroup;
}

function lookupFor(ctx: LogsContext, groups: GroupSet): KeyLookup {
  const groupArn = groups.kind === 'one' ? groups.arn : groups.prefix;
  return (key) => lookUpLogsRequestKey(key, { region: ctx.region, account: ctx.account, groupArn });
}

interface StatementResult {
  outcomes: Outcomes;
  /** Keys whose unknown value leaves the outcome open. */
  unknownKeys: string[];
}

/** Conditions AND together: `no` wins, then `unknown`. Group clauses say for how many groups they hold. */
function conditionResult(statement: PolicyStatement, ctx: LogsContext, groups: GroupSet): StatementResult {
  const lookup = lookupFor(ctx, groups);
  const scopes: Scope[] = [];
  const tris: Tri[] = [];
  const unknownKeys: string[] = [];
  for (const clause of clausesOf(statement)) {
    const perGroup = groups.kind === 'prefix' && dependsOnGroup(clause);
    const verdict = perGroup
      ? groupClauseScope(clause.operator, clause.values, groups.prefix, lookup)
      : evaluateClause(clause.operator, clause.key, clause.values, lookup);
    if (verdict === 'unknown') {
      tris.push('unknown');
      const variables = variableKeys(clause.values);
      unknownKeys.push(...(variables.length > 0 ? variables : [clause.key]));
    } else if (typeof verdict === 'string') {
      scopes.push(verdict);
    } else {
      tris.push(verdict.result);
      unknownKeys.push(...verdict.unknownKeys);
    }
  }
  const rest: Tri = tris.includes('no') ? 'no' : tris.includes('unknown') ? 'unknown' : 'yes';
  const scope = allOf(scopes);
  if (rest === 'no' || scope === 'none') return { outcomes: ONLY_NO, unknownKeys: [] };
  const met: Tri = rest === 'unknown' ? 'unknown' : 'yes';
  const outcomes: Outcomes = scope === 'all' ? new Set([met]) : new Set([met, 'no']);
  return { outcomes, unknownKeys: met === 'unknown' ? [...new Set(unknownKeys)] : [] };
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------------

/** Whether the statement speaks to CloudWatch Logs of `ctx` doing `action` on this key, conditions aside. */
function appliesToLogsAction(statement: PolicyStatement, ctx: LogsContext, action: string): boolean {
  return (
    appliesToPrincipal(statement, logsServicePrincipal(ctx.region)) &&
    appliesToAction(statement, action) &&
    appliesToResource(statement)
  );
}

interface JudgedStatement extends StatementResult {
  statement: PolicyStatement;
}

function judgeStatements(
  policy: KeyPolicy,
  ctx: LogsContext,
  action: string,
  groups: GroupSet,
): JudgedStatement[] {
  return policy.statements
    .filter((statement) => appliesToLogsAction(statement, ctx, action))
    .map((statement) => ({ statement, ...conditionResult(statement, ctx, groups) }));
}

/**
 * "Some statement holds", per group: `yes` when one holds, `no` when none can, `unknown` otherwise. Exact for
 * one group (every set is a single outcome); over a prefix an over-approximation of the outcomes that occur,
 * exact when it is a single one.
 */
function anyHolds(judged: JudgedStatement[]): Outcomes {
  if (judged.some(({ outcomes }) => only(outcomes, 'yes'))) return ONLY_YES;
  const result = new Set<Tri>();
  if (judged.some(({ outcomes }) => outcomes.has('yes'))) result.add('yes');
  if (judged.some(({ outcomes }) => outcomes.has('unknown'))) result.add('unknown');
  if (judged.every(({ outcomes }) => outcomes.has('no'))) result.add('no');
  return result;
}

interface ActionVerdict {
  action: LogsKmsAction;
  allow: Outcomes;
  deny: Outcomes;
  /** The first Deny that holds for every group. */
  denying?: PolicyStatement;
  /** Statements left open by unknown keys that can change the verdict. */
  unknowns: UnknownCondition[];
}

function openStatements(judged: JudgedStatement[], effect: PolicyStatement['Effect']): UnknownCondition[] {
  return judged
    .filter(({ statement, outcomes }) => statement.Effect === effect && outcomes.has('unknown'))
    .map(({ statement, unknownKeys }) => ({
      effect,
      keys: unknownKeys,
      ...(statement.Sid !== undefined ? { sid: statement.Sid } : {}),
    }));
}

function judgeAction(
  policy: KeyPolicy,
  ctx: LogsContext,
  action: LogsKmsAction,
  groups: GroupSet,
): ActionVerdict {
  const judged = judgeStatements(policy, ctx, action, groups);
  const allows = judged.filter(({ statement }) => statement.Effect === 'Allow');
  const denies = judged.filter(({ statement }) => statement.Effect === 'Deny');
  const [allow, deny] = [anyHolds(allows), anyHolds(denies)];
  const denying = denies.find(({ outcomes }) => only(outcomes, 'yes'))?.statement;
  // An open Allow matters only when no Allow surely holds; an open Deny only when something may be allowed.
  const unknowns = [
    ...(only(allow, 'yes') ? [] : openStatements(allows, 'Allow')),
    ...(only(allow, 'no') || denying ? [] : openStatements(denies, 'Deny')),
  ];
  return { action, allow, deny, unknowns, ...(denying ? { denying } : {}) };
}

function judgeActions(policy: KeyPolicy, ctx: LogsContext, groups: GroupSet): ActionVerdict[] {
  return LOGS_REQUIRED_KMS_ACTIONS.map((action) => judgeAction(policy, ctx, action, groups));
}

type Failure = { reason: 'no-allow' | 'explicit-deny'; action: string; sid?: string };

/**
 * The first reason no group of the set can be allowed. An explicit Deny of any action is reported before
 * a missing Allow, because adding an Allow statement cannot fix it.
 */
function firstFailure(perAction: ActionVerdict[]): Failure | undefined {
  const denied = perAction.find(({ denying }) => denying !== undefined);
  if (denied) {
    const sid = denied.denying?.Sid;
    return { reason: 'explicit-deny', action: denied.action, ...(sid !== undefined ? { sid } : {}) };
  }
  const unallowed = perAction.find(({ allow }) => only(allow, 'no'));
  return unallowed ? { reason: 'no-allow', action: unallowed.action } : undefined;
}

function mergeUnknowns(perAction: ActionVerdict[]): UnknownCondition[] {
  const seen = new Map<string, UnknownCondition>();
  for (const unknown of perAction.flatMap(({ unknowns }) => unknowns)) {
    const id = `${unknown.effect}\u0000${unknown.sid ?? ''}\u0000${unknown.keys.join(',')}`;
    if (!seen.has(id)) seen.set(id, unknown);
  }
  return [...seen.values()];
}

/** When no action fails outright and every outcome is one of `yes`/`unknown` for all groups alike. */
function uniformlyOpen(perAction: ActionVerdict[]): ActionVerdict | undefined {
  const uniform = perAction.every(
    ({ allow, deny }) =>
      (only(allow, 'yes') || only(allow, 'unknown')) && (only(deny, 'no') || only(deny, 'unknown')),
  );
  return uniform
    ? perAction.find(({ allow, deny }) => only(allow, 'unknown') || only(deny, 'unknown'))
    : undefined;
}

/**
 * Whether the key policy lets CloudWatch Logs of `ctx` use the key for the log group `logGroupArn`
 * (a trailing `:*` is ignored). Explicit Deny wins over Allow; every action of
 * {@link LOGS_REQUIRED_KMS_ACTIONS} must be allowed; a verdict that hangs on a key the request model does not
 * know is `unknown`, naming the statements and keys.
 */
export function evaluateGroupAccess(policy: KeyPolicy, ctx: LogsContext, logGroupArn: string): GroupAccess {
  // CloudWatch Logs puts the ARN without `:*` in the encryption context; names cannot contain `:`.
  const arn = logGroupArn.endsWith(':*') ? logGroupArn.slice(0, -2) : logGroupArn;
  const perAction = judgeActions(policy, ctx, { kind: 'one', arn });
  const failure = firstFailure(perAction);
  if (failure) return { allowed: false, ...failure };
  const open = perAction.find(({ allow, deny }) => only(allow, 'unknown') || only(deny, 'unknown'));
  return open
    ? { allowed: 'unknown', action: open.action, unknowns: mergeUnknowns(perAction) }
    : { allowed: true };
}

/**
 * The key-level verdict for every log group of `ctx`'s account and region: `all-groups`, `no-groups` and
 * `unknown` hold for every group alike, `some-groups` means "decide per group" (it may still turn out that no
 * group is allowed, e.g. when two actions are allowed for disjoint groups).
 */
export function assessPolicyScope(policy: KeyPolicy, ctx: LogsContext): PolicyScope {
  const groups: GroupSet = { kind: 'prefix', prefix: logGroupArnPrefix(ctx) };
  const perAction = judgeActions(policy, ctx, groups);
  const failure = firstFailure(perAction);
  if (failure) return { scope: 'no-groups', ...failure };
  if (perAction.every(({ allow, deny }) => only(allow, 'yes') && only(deny, 'no')))
    return { scope: 'all-groups' };
  const unknowns = mergeUnknowns(perAction);
  const open = uniformlyOpen(perAction);
  if (open) return { scope: 'unknown', action: open.action, unknowns };
  return { scope: 'some-groups', patterns: scopingPatterns(policy, ctx), unknowns };
}

/**
 * The context values that scope the grant, for messages: values an Allow requires as they are, values a
 * Deny excludes (and values an Allow excludes) as `not <value>`.
 */
function scopingPatterns(policy: KeyPolicy, ctx: LogsContext): string[] {
  const applying = policy.statements.filter((statement) =>
    LOGS_REQUIRED_KMS_ACTIONS.some((action) => appliesToLogsAction(statement, ctx, action)),
  );
  const patterns = applying.flatMap((statement) =>
    clausesOf(statement)
      .filter(dependsOnGroup)
      .flatMap(({ operator, values }) => {
        const parsed = parseOperator(operator);
        if (!parsed || !PREFIX_FAMILIES.has(parsed.family)) return [];
        const excludes = parsed.negated !== (statement.Effect === 'Deny');
        return values.map((value) => (excludes ? `not ${value}` : value));
      }),
  );
  return [...new Set(patterns)];
}

/**
 * The conditions whose keys the request model does not know and on which the verdict for some group of
 * `ctx`'s account and region hangs: each names the statement (Sid) and the keys.
 */
export function unknownConditions(policy: KeyPolicy, ctx: LogsContext): UnknownCondition[] {
  const scope = assessPolicyScope(policy, ctx);
  return scope.scope === 'unknown' || scope.scope === 'some-groups' ? scope.unknowns : [];
}

/** The keys of {@link unknownConditions}, each once, as first spelt in the policy. */
export function unevaluatedConditionKeys(policy: KeyPolicy, ctx: LogsContext): string[] {
  const keys = new Map<string, string>();
  for (const key of unknownConditions(policy, ctx).flatMap((u) => u.keys)) {
    if (!keys.has(key.toLowerCase())) keys.set(key.toLowerCase(), key);
  }
  return [...keys.values()];
}

/**
 * The statement to add to the key policy so CloudWatch Logs can use the key for every log group of
 * `ctx`'s account and region: the one the AWS docs recommend, filled in.
 */
export function buildLogsPolicyStatement(ctx: LogsContext): PolicyStatement {
  return {
    Sid: LOGS_POLICY_STATEMENT_SID,
    Effect: 'Allow',
    Principal: { Service: logsServicePrincipal(ctx.region) },
    Action: [...LOGS_KEY_POLICY_ACTIONS],
    Resource: '*',
    Condition: { ArnLike: { [LOGS_ARN_CONTEXT_KEY]: `${logGroupArnPrefix(ctx)}*` } },
  };
}
