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

/** Verdict for one group ARN (without trailing ':*'). */
export type GroupAccess =
  | { allowed: true }
  | { allowed: false; reason: 'no-allow' | 'explicit-deny'; action: string; sid?: string };

/** Key-level verdict, used once per run. */
export type PolicyScope =
  /** Every group in the context's account and region is allowed. */
  | { scope: 'all-groups' }
  /** Conditions scope the grant: decide per group with {@link evaluateGroupAccess}. `patterns` are for messages. */
  | { scope: 'some-groups'; patterns: string[] }
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
// Globs: IAM's `*` (any run of characters) and `?` (exactly one character), run as a small NFA so the same
// code answers "does this string match?" and "can the pattern match some string starting with this prefix?".
// ---------------------------------------------------------------------------------------------------------

type GlobToken = { kind: 'star' } | { kind: 'one' } | { kind: 'char'; char: string };

/** How many groups of a set a condition (or statement) covers. */
type Scope = 'all' | 'some' | 'none';

/** With `wildcards` false every character is literal, which makes a glob an exact comparison. */
function compileGlob(pattern: string, wildcards: boolean): GlobToken[] {
  return [...pattern].map((char): GlobToken => {
    if (wildcards && char === '*') return { kind: 'star' };
    if (wildcards && char === '?') return { kind: 'one' };
    return { kind: 'char', char };
  });
}

/** A star may match nothing, so reaching it also reaches the token after it. */
function withSkippedStars(glob: GlobToken[], states: Iterable<number>): Set<number> {
  const closed = new Set<number>();
  for (let state of states) {
    closed.add(state);
    while (glob[state]?.kind === 'star') closed.add(++state);
  }
  return closed;
}

/** The glob positions reachable after consuming `input` from the start. */
function globStates(glob: GlobToken[], input: string): Set<number> {
  let states = withSkippedStars(glob, [0]);
  for (const char of input) {
    const next: number[] = [];
    for (const state of states) {
      const token = glob[state];
      if (token?.kind === 'star') next.push(state);
      else if (token?.kind === 'one' || (token?.kind === 'char' && token.char === char)) next.push(state + 1);
    }
    states = withSkippedStars(glob, next);
    if (states.size === 0) break;
  }
  return states;
}

function globMatches(glob: GlobToken[], input: string): boolean {
  return globStates(glob, input).has(glob.length);
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

/** IAM actions compare case-insensitively and allow wildcards (`kms:*`, `kms:Encrypt*`, `KMS:decrypt`). */
function actionMatches(pattern: string, action: string): boolean {
  return globMatches(compileGlob(pattern.toLowerCase(), true), action.toLowerCase());
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

// ---------------------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------------------

/** The log groups a question is about: one ARN, or every ARN that starts with a prefix. */
type GroupSet = { kind: 'one'; arn: string } | { kind: 'prefix'; prefix: string };

/** How a string condition operator compares the context value with one policy value. */
interface Comparison {
  wildcards: boolean;
  ignoreCase: boolean;
  /** Compare the six colon-separated ARN components one by one, the sixth being the rest. */
  arn: boolean;
}

type ParsedOperator =
  | { kind: 'compare'; comparison: Comparison; negated: boolean }
  | { kind: 'null' }
  /** Bool, Numeric*, Date*, IpAddress, Binary*, unknown names: a log group ARN never satisfies them. */
  | { kind: 'unsupported' };

const STRING_EQUALS: Comparison = { wildcards: false, ignoreCase: false, arn: false };
const STRING_EQUALS_IGNORE_CASE: Comparison = { wildcards: false, ignoreCase: true, arn: false };
const STRING_LIKE: Comparison = { wildcards: true, ignoreCase: false, arn: false };
// ArnEquals and ArnLike are the same operator in IAM: both glob-match each ARN component, so
// ArnEquals accepts wildcards too.
const ARN_LIKE: Comparison = { wildcards: true, ignoreCase: false, arn: true };

const COMPARE_OPERATORS: Record<string, { comparison: Comparison; negated: boolean }> = {
  stringequals: { comparison: STRING_EQUALS, negated: false },
  stringnotequals: { comparison: STRING_EQUALS, negated: true },
  stringequalsignorecase: { comparison: STRING_EQUALS_IGNORE_CASE, negated: false },
  stringnotequalsignorecase: { comparison: STRING_EQUALS_IGNORE_CASE, negated: true },
  stringlike: { comparison: STRING_LIKE, negated: false },
  stringnotlike: { comparison: STRING_LIKE, negated: true },
  arnequals: { comparison: ARN_LIKE, negated: false },
  arnlike: { comparison: ARN_LIKE, negated: false },
  arnnotequals: { comparison: ARN_LIKE, negated: true },
  arnnotlike: { comparison: ARN_LIKE, negated: true },
};

function parseOperator(name: string): ParsedOperator {
  // The encryption context key is single-valued, so ForAnyValue:/ForAllValues: change nothing; and it is
  // always present in CloudWatch Logs' requests, so ...IfExists changes nothing either.
  const base = name
    .replace(/^for(any|all)values?:/i, '')
    .replace(/ifexists$/i, '')
    .toLowerCase();
  if (base === 'null') return { kind: 'null' };
  const known = COMPARE_OPERATORS[base];
  return known ? { kind: 'compare', ...known } : { kind: 'unsupported' };
}

function isLogsArnKey(key: string): boolean {
  // IAM condition key names are case-insensitive.
  return key.toLowerCase() === LOGS_ARN_CONTEXT_KEY.toLowerCase();
}

/** Split an ARN into its six components, the sixth being the rest; undefined when it has fewer. */
function arnComponents(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * How many groups of `groups` one policy value matches under `comparison`. The group set is cut into
 * components the same way as the pattern: all but the last must match exactly, the last is a prefix
 * (or, for one group, the whole last component).
 */
function valueScope(comparison: Comparison, value: string, groups: GroupSet): Scope {
  const fold = (text: string) => (comparison.ignoreCase ? text.toLowerCase() : text);
  const split = (text: string) => (comparison.arn ? arnComponents(text) : [text]);
  const patternParts = split(fold(value));
  const groupParts = split(fold(groups.kind === 'one' ? groups.arn : groups.prefix));
  // An ARN pattern with fewer than six components matches no ARN.
  if (!patternParts || !groupParts) return 'none';
  const globs = patternParts.map((part) => compileGlob(part, comparison.wildcards));
  const last = globs.length - 1;
  for (let i = 0; i < last; i++) {
    if (!globMatches(globs[i] ?? [], groupParts[i] ?? '')) return 'none';
  }
  const lastGlob = globs[last] ?? [];
  const lastGroupPart = groupParts[last] ?? '';
  if (groups.kind === 'one') return globMatches(lastGlob, lastGroupPart) ? 'all' : 'none';
  return globScopeOverPrefix(lastGlob, lastGroupPart);
}

/** Scope of "any of": `all` when one covers everything, `none` when all cover nothing. */
function anyOf(scopes: Scope[]): Scope {
  if (scopes.includes('all')) return 'all';
  return scopes.every((scope) => scope === 'none') ? 'none' : 'some';
}

/** Scope of "all of": `none` when one covers nothing, `all` when all cover everything. */
function allOf(scopes: Scope[]): Scope {
  if (scopes.includes('none')) return 'none';
  return scopes.every((scope) => scope === 'all') ? 'all' : 'some';
}

function negate(scope: Scope): Scope {
  if (scope === 'all') return 'none';
  return scope === 'none' ? 'all' : 'some';
}

/** One `operator: { kms:EncryptionContext:aws:logs:arn: values }` clause: values OR, negated operators NOT any. */
function clauseScope(operatorName: string, values: string[], groups: GroupSet): Scope {
  const operator = parseOperator(operatorName);
  // The key is always present, so `Null: false` ("is not null") holds and `Null: true` does not.
  if (operator.kind === 'null') {
    return anyOf(values.map((value) => (value.toLowerCase() === 'false' ? 'all' : 'none')));
  }
  if (operator.kind === 'unsupported') return 'none';
  const matched = anyOf(values.map((value) => valueScope(operator.comparison, value, groups)));
  return operator.negated ? negate(matched) : matched;
}

/** Each clause on the logs ARN key, in policy order. Clauses on other keys are assumed satisfied. */
function logsArnClauses(statement: PolicyStatement): { operator: string; values: string[] }[] {
  return Object.entries(statement.Condition ?? {}).flatMap(([operator, block]) =>
    Object.entries(block)
      .filter(([key]) => isLogsArnKey(key))
      .map(([, values]) => ({ operator, values: toList(values) })),
  );
}

/** Operators AND, keys AND: the statement's condition holds for `all`, `some` or `none` of the groups. */
function conditionScope(statement: PolicyStatement, groups: GroupSet): Scope {
  return allOf(
    logsArnClauses(statement).map(({ operator, values }) => clauseScope(operator, values, groups)),
  );
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

function statementScope(
  statement: PolicyStatement,
  ctx: LogsContext,
  action: string,
  groups: GroupSet,
): Scope {
  return appliesToLogsAction(statement, ctx, action) ? conditionScope(statement, groups) : 'none';
}

interface ActionScopes {
  action: LogsKmsAction;
  allow: Scope;
  deny: Scope;
  /** The Sid of the first Deny covering every group, if it has one. */
  denySid?: string;
}

function actionScopes(
  policy: KeyPolicy,
  ctx: LogsContext,
  action: LogsKmsAction,
  groups: GroupSet,
): ActionScopes {
  const scoped = policy.statements.map((statement) => ({
    statement,
    scope: statementScope(statement, ctx, action, groups),
  }));
  const ofEffect = (effect: PolicyStatement['Effect']) =>
    anyOf(scoped.filter(({ statement }) => statement.Effect === effect).map(({ scope }) => scope));
  const fullDeny = scoped.find(({ statement, scope }) => statement.Effect === 'Deny' && scope === 'all');
  return { action, allow: ofEffect('Allow'), deny: ofEffect('Deny'), denySid: fullDeny?.statement.Sid };
}

type Failure = { reason: 'no-allow' | 'explicit-deny'; action: string; sid?: string };

/**
 * The first reason no group of `groups` can be allowed. An explicit Deny of any action is reported before
 * a missing Allow, because adding an Allow statement cannot fix it.
 */
function firstFailure(perAction: ActionScopes[]): Failure | undefined {
  const denied = perAction.find(({ deny }) => deny === 'all');
  if (denied) {
    const { action, denySid: sid } = denied;
    return sid === undefined ? { reason: 'explicit-deny', action } : { reason: 'explicit-deny', action, sid };
  }
  const unallowed = perAction.find(({ allow }) => allow === 'none');
  return unallowed ? { reason: 'no-allow', action: unallowed.action } : undefined;
}

function scopesFor(policy: KeyPolicy, ctx: LogsContext, groups: GroupSet): ActionScopes[] {
  return LOGS_REQUIRED_KMS_ACTIONS.map((action) => actionScopes(policy, ctx, action, groups));
}

/**
 * Whether the key policy lets CloudWatch Logs of `ctx` use the key for the log group `logGroupArn`
 * (a trailing `:*` is ignored). Explicit Deny wins over Allow; every action of
 * {@link LOGS_REQUIRED_KMS_ACTIONS} must be allowed.
 */
export function evaluateGroupAccess(policy: KeyPolicy, ctx: LogsContext, logGroupArn: string): GroupAccess {
  // CloudWatch Logs puts the ARN without `:*` in the encryption context; names cannot contain `:`.
  const arn = logGroupArn.endsWith(':*') ? logGroupArn.slice(0, -2) : logGroupArn;
  // For one group every scope is `all` or `none`, so no failure means every action is allowed.
  const failure = firstFailure(scopesFor(policy, ctx, { kind: 'one', arn }));
  return failure ? { allowed: false, ...failure } : { allowed: true };
}

/**
 * The key-level verdict for every log group of `ctx`'s account and region: `all-groups` and `no-groups`
 * are certain, `some-groups` means "decide per group" (it may still turn out that no group is allowed,
 * e.g. when two actions are allowed for disjoint groups).
 */
export function assessPolicyScope(policy: KeyPolicy, ctx: LogsContext): PolicyScope {
  const groups: GroupSet = { kind: 'prefix', prefix: logGroupArnPrefix(ctx) };
  const perAction = scopesFor(policy, ctx, groups);
  const failure = firstFailure(perAction);
  if (failure) return { scope: 'no-groups', ...failure };
  const everyGroup = perAction.every(({ allow, deny }) => allow === 'all' && deny === 'none');
  return everyGroup
    ? { scope: 'all-groups' }
    : { scope: 'some-groups', patterns: scopingPatterns(policy, ctx, groups) };
}

/**
 * The context values that scope the grant, for messages: values an Allow requires as they are, values a
 * Deny excludes (and values an Allow excludes) as `not <value>`.
 */
function scopingPatterns(policy: KeyPolicy, ctx: LogsContext, groups: GroupSet): string[] {
  const patterns = relevantStatements(policy, ctx, groups)
    .filter((statement) => conditionScope(statement, groups) === 'some')
    .flatMap((statement) =>
      logsArnClauses(statement).flatMap(({ operator, values }) => {
        const parsed = parseOperator(operator);
        if (parsed.kind !== 'compare') return [];
        const excludes = parsed.negated !== (statement.Effect === 'Deny');
        return values.map((value) => (excludes ? `not ${value}` : value));
      }),
    );
  return [...new Set(patterns)];
}

/** Statements that can bear on some required action for some group of `groups`. */
function relevantStatements(policy: KeyPolicy, ctx: LogsContext, groups: GroupSet): PolicyStatement[] {
  return policy.statements.filter((statement) =>
    LOGS_REQUIRED_KMS_ACTIONS.some((action) => statementScope(statement, ctx, action, groups) !== 'none'),
  );
}

/**
 * Condition keys the evaluator could not evaluate and assumed satisfied (e.g. `aws:SourceAccount`,
 * `kms:ViaService`), from the statements that bear on CloudWatch Logs in `ctx`'s account and region.
 * Each key once, as first spelt in the policy.
 */
export function unevaluatedConditionKeys(policy: KeyPolicy, ctx: LogsContext): string[] {
  const groups: GroupSet = { kind: 'prefix', prefix: logGroupArnPrefix(ctx) };
  const keys = new Map<string, string>();
  for (const statement of relevantStatements(policy, ctx, groups)) {
    for (const block of Object.values(statement.Condition ?? {})) {
      for (const key of Object.keys(block)) {
        if (!isLogsArnKey(key) && !keys.has(key.toLowerCase())) keys.set(key.toLowerCase(), key);
      }
    }
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
