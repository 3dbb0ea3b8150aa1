/**
 * Pure: IAM's condition semantics for one `Operator: { key: values }` clause, three-valued.
 *
 * A clause is judged against what is known of the request context ({@link KeyFact}): a key present with
 * values, a key absent, a key with a few possible worlds, or a key nothing is known about. The answer is
 * `yes`, `no`, or `unknown` with the keys it depends on. Rules, from the IAM condition operator reference
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html) and
 * the multivalued-key page
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
 * - a missing key fails a positive operator and satisfies a negated one (`StringNotEquals`, `ArnNotLike`, …);
 * - `…IfExists` is true when the key is missing; `Null: true` means "missing";
 * - `ForAllValues:` is true for a missing key, `ForAnyValue:` false;
 * - policy variables (`${aws:SourceAccount}`, `${key, 'default'}`, `${*}`) work in String and Arn operators only;
 * - `Arn*` compare the six colon-separated parts one by one; a pattern with fewer than five cannot be compared.
 */
import type { KeyFact } from './logs-request-context';

export type Tri = 'yes' | 'no' | 'unknown';

export interface ClauseVerdict {
  result: Tri;
  /** The condition keys the answer hangs on, as spelt in the policy; empty unless `unknown`. */
  unknownKeys: string[];
}

/** What is known of a key; undefined when nothing is. */
export type KeyLookup = (key: string) => KeyFact | undefined;

// ---------------------------------------------------------------------------------------------------------
// Globs: `*` any run of characters, `?` exactly one; with `wildcards` false every character is literal.
// ---------------------------------------------------------------------------------------------------------

export type GlobToken = { kind: 'star' } | { kind: 'one' } | { kind: 'char'; char: string };

export function compileGlob(pattern: string, wildcards: boolean): GlobToken[] {
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
export function globStates(glob: GlobToken[], input: string): Set<number> {
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

export function globMatches(glob: GlobToken[], input: string): boolean {
  return globStates(glob, input).has(glob.length);
}

/**
 * Split tokens at literal colons into the six ARN parts (the sixth keeps its colons). A pattern with five parts
 * gets an empty sixth, as the oracle reads `arn:aws:logs:us-east-1:*` (AWS does not document the case); one
 * with fewer is undefined: it cannot be compared with an ARN at all.
 */
export function splitArnTokens(tokens: GlobToken[]): GlobToken[][] | undefined {
  const parts: GlobToken[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'char' && token.char === ':' && parts.length < 6) parts.push([]);
    else parts[parts.length - 1]?.push(token);
  }
  if (parts.length === 5) parts.push([]);
  return parts.length === 6 ? parts : undefined;
}

/** An ARN's six parts, the sixth being the rest; undefined when it has fewer. */
export function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

// ---------------------------------------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------------------------------------

type Family =
  | 'string'
  | 'string-ic'
  | 'like'
  | 'arn'
  | 'numeric'
  | 'date'
  | 'bool'
  | 'ip'
  | 'binary'
  | 'null';

interface BaseOperator {
  family: Family;
  negated: boolean;
  /** For numeric and date operators: how the request value must compare with the policy value. */
  order?: 'eq' | 'lt' | 'le' | 'gt' | 'ge';
}

const ORDERS = {
  equals: 'eq',
  lessthan: 'lt',
  lessthanequals: 'le',
  greaterthan: 'gt',
  greaterthanequals: 'ge',
} as const;

const BASE_OPERATORS: Record<string, BaseOperator> = {
  stringequals: { family: 'string', negated: false },
  stringnotequals: { family: 'string', negated: true },
  stringequalsignorecase: { family: 'string-ic', negated: false },
  stringnotequalsignorecase: { family: 'string-ic', negated: true },
  stringlike: { family: 'like', negated: false },
  stringnotlike: { family: 'like', negated: true },
  // ArnEquals and ArnLike are one operator in IAM: both accept wildcards in each part.
  arnequals: { family: 'arn', negated: false },
  arnlike: { family: 'arn', negated: false },
  arnnotequals: { family: 'arn', negated: true },
  arnnotlike: { family: 'arn', negated: true },
  bool: { family: 'bool', negated: false },
  ipaddress: { family: 'ip', negated: false },
  notipaddress: { family: 'ip', negated: true },
  binaryequals: { family: 'binary', negated: false },
  null: { family: 'null', negated: false },
  numericnotequals: { family: 'numeric', negated: true, order: 'eq' },
  datenotequals: { family: 'date', negated: true, order: 'eq' },
  ...Object.fromEntries(
    Object.entries(ORDERS).flatMap(([suffix, order]) => [
      [`numeric${suffix}`, { family: 'numeric', negated: false, order }],
      [`date${suffix}`, { family: 'date', negated: false, order }],
    ]),
  ),
};

export interface ParsedOperator extends BaseOperator {
  set?: 'any' | 'all';
  ifExists: boolean;
}

/** Undefined for a name IAM does not know (KMS would have refused the policy). */
export function parseOperator(name: string): ParsedOperator | undefined {
  const match = /^(?:(forallvalues|foranyvalue):)?(.*?)(ifexists)?$/i.exec(name);
  const base = BASE_OPERATORS[(match?.[2] ?? '').toLowerCase()];
  if (!match || !base) return undefined;
  const set = match[1]?.toLowerCase();
  return {
    ...base,
    ifExists: match[3] !== undefined,
    ...(set ? { set: set === 'foranyvalue' ? 'any' : 'all' } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Policy variables
// ---------------------------------------------------------------------------------------------------------

interface VariableRef {
  key: string;
  fallback?: string;
}

const VARIABLE = /\$\{([^}]*)\}/g;
const SPECIAL_VARIABLES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

function variablesIn(value: string): VariableRef[] {
  return [...value.matchAll(VARIABLE)].flatMap(([, inner = '']) => {
    if (SPECIAL_VARIABLES[inner.trim()] !== undefined) return [];
    const [key = '', fallback] = inner.split(/,\s*/, 2);
    const quoted = fallback ? /^'(.*)'$/.exec(fallback.trim())?.[1] : undefined;
    return [{ key: key.trim(), ...(quoted !== undefined ? { fallback: quoted } : {}) }];
  });
}

/** One world's values for the variables in play (null: absent). */
type VariableWorld = Map<string, string[] | null>;

/**
 * The policy value as glob tokens, variables filled in as literal text; undefined when a variable has no value
 * (IAM then treats the policy value as matching nothing).
 */
function resolveValue(value: string, family: Family, world: VariableWorld): GlobToken[] | undefined {
  const wildcards = family === 'like' || family === 'arn';
  if (family !== 'string' && family !== 'string-ic' && !wildcards) return compileGlob(value, false);
  const tokens: GlobToken[] = [];
  let last = 0;
  for (const match of value.matchAll(VARIABLE)) {
    tokens.push(...compileGlob(value.slice(last, match.index), wildcards));
    last = (match.index ?? 0) + match[0].length;
    const inner = (match[1] ?? '').trim();
    const special = SPECIAL_VARIABLES[inner];
    if (special !== undefined) {
      tokens.push(...compileGlob(special, false));
      continue;
    }
    const ref = variablesIn(match[0])[0];
    const values = ref ? world.get(ref.key.toLowerCase()) : undefined;
    const text = values?.[0] ?? ref?.fallback;
    if (text === undefined) return undefined;
    tokens.push(...compileGlob(text, false));
  }
  tokens.push(...compileGlob(value.slice(last), wildcards));
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// Matching one request value against one policy value
// ---------------------------------------------------------------------------------------------------------

function literal(tokens: GlobToken[]): string {
  return tokens.map((t) => (t.kind === 'char' ? t.char : t.kind === 'star' ? '*' : '?')).join('');
}

function compareOrder(order: NonNullable<BaseOperator['order']>, actual: number, expected: number): boolean {
  if (order === 'eq') return actual === expected;
  if (order === 'lt') return actual < expected;
  if (order === 'le') return actual <= expected;
  return order === 'gt' ? actual > expected : actual >= expected;
}

function toNumber(text: string): number | undefined {
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text.trim()) ? Number(text) : undefined;
}

function toDate(text: string): number | undefined {
  const epoch = toNumber(text);
  if (epoch !== undefined) return epoch * 1000;
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function ipMatches(actual: string, cidr: string): boolean | undefined {
  const [base = '', bits = '32'] = cidr.split('/');
  const [a, b, n] = [ipv4(actual), ipv4(base), Number(bits)];
  if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return undefined;
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

function arnMatches(actual: string, pattern: GlobToken[]): boolean | undefined {
  const [parts, patternParts] = [arnParts(actual), splitArnTokens(pattern)];
  if (!parts || !patternParts) return undefined;
  return patternParts.every((glob, i) => globMatches(glob, parts[i] ?? ''));
}

/** The positive form of the operator: does the request value match this policy value? Undefined: not comparable. */
function valueMatches(operator: BaseOperator, actual: string, pattern: GlobToken[]): boolean | undefined {
  const expected = literal(pattern);
  switch (operator.family) {
    case 'string':
    case 'binary':
      return actual === expected;
    case 'string-ic':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'like':
      return globMatches(pattern, actual);
    case 'arn':
      return arnMatches(actual, pattern);
    case 'bool':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'ip':
      return ipMatches(actual, expected);
    case 'numeric':
    case 'date': {
      const parse = operator.family === 'numeric' ? toNumber : toDate;
      const [a, e] = [parse(actual), parse(expected)];
      return a === undefined || e === undefined ? undefined : compareOrder(operator.order ?? 'eq', a, e);
    }
    case 'null':
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// One clause in one world, then over every world
// ---------------------------------------------------------------------------------------------------------

/**
 * One clause in one world. Like IAM: a negated operator holds only when every policy value is a clean
 * non-match, so a value that cannot be compared (an unset variable, a short ARN, a non-number) fails it
 * either way; an operator without a set operator never holds for a multivalued key.
 */
function clauseHolds(
  operator: ParsedOperator,
  actual: { values: string[]; multivalued: boolean } | null,
  values: string[],
  world: VariableWorld,
): boolean {
  if (operator.family === 'null') {
    return values.some((v) => (v.toLowerCase() === 'true') === (actual === null));
  }
  if (actual === null) {
    if (operator.set === 'all') return true;
    if (operator.set === 'any') return false;
    return operator.ifExists || operator.negated;
  }
  const patterns = values.map((v) => resolveValue(v, operator.family, world));
  const holds = (a: string) => {
    const each = patterns.map((p) => (p === undefined ? undefined : valueMatches(operator, a, p)));
    return operator.negated ? each.every((m) => m === false) : each.some((m) => m === true);
  };
  if (operator.set === 'all') return actual.values.every(holds);
  if (operator.set === 'any') return actual.values.some(holds);
  const [single] = actual.values;
  return !actual.multivalued && actual.values.length === 1 && single !== undefined && holds(single);
}

function worldsOf(fact: KeyFact): (string[] | null)[] {
  if (fact.kind === 'present') return [fact.values];
  if (fact.kind === 'absent') return [null];
  return fact.worlds;
}

/** Every combination of the worlds of `keys`; undefined when one key is unknown. */
function combinations(keys: string[], lookup: KeyLookup): VariableWorld[] | { unknown: string } {
  let worlds: VariableWorld[] = [new Map()];
  for (const key of keys) {
    const lower = key.toLowerCase();
    if (worlds[0]?.has(lower)) continue;
    const fact = lookup(key);
    if (!fact) return { unknown: key };
    worlds = worlds.flatMap((w) => worldsOf(fact).map((v) => new Map(w).set(lower, v)));
  }
  return worlds;
}

/** The clause's answer over everything the request context may be. */
export function evaluateClause(
  operatorName: string,
  key: string,
  values: string[],
  lookup: KeyLookup,
): ClauseVerdict {
  const operator = parseOperator(operatorName);
  if (!operator) return { result: 'unknown', unknownKeys: [key] };
  const variableKeys = ['string', 'string-ic', 'like', 'arn'].includes(operator.family)
    ? values.flatMap(variablesIn).map((v) => v.key)
    : [];
  const worlds = combinations([key, ...variableKeys], lookup);
  if (!Array.isArray(worlds)) return { result: 'unknown', unknownKeys: [worlds.unknown] };
  const multivalued =
    lookup(key)?.kind === 'present' && (lookup(key) as { multivalued?: boolean }).multivalued === true;
  const outcomes = new Set(
    worlds.map((world) => {
      const actual = world.get(key.toLowerCase()) ?? null;
      return clauseHolds(operator, actual && { values: actual, multivalued }, values, world);
    }),
  );
  if (outcomes.size === 1) return { result: outcomes.has(true) ? 'yes' : 'no', unknownKeys: [] };
  const open = [key, ...variableKeys].filter((k) => {
    const fact = lookup(k);
    return fact?.kind === 'one-of';
  });
  return { result: 'unknown', unknownKeys: [...new Set(open)] };
}

/**
 * The policy values as plain text in every world of the variables they use (undefined for a value whose
 * variable has no value); `unknown` names a variable nothing is known about. Variable values
 * are assumed free of wildcards, which holds for the keys the request model knows (accounts, regions, ARNs).
 */
export function resolveVariables(
  values: string[],
  lookup: KeyLookup,
): (string | undefined)[][] | { unknown: string } {
  const worlds = combinations(
    values.flatMap(variablesIn).map((v) => v.key),
    lookup,
  );
  if (!Array.isArray(worlds)) return worlds;
  return worlds.map((world) =>
    values.map((value) => {
      const tokens = resolveValue(value, 'string', world);
      return tokens && literal(tokens);
    }),
  );
}

/** The condition keys the policy variables in `values` refer to. */
export function variableKeys(values: string[]): string[] {
  return values.flatMap(variablesIn).map((v) => v.key);
}
