/**
 * Test-only oracle: an independent IAM evaluator (@cloud-copilot/iam-simulate) asked whether CloudWatch Logs
 * may use a key for a log group. It never reaches lib/ or the bundle.
 *
 * The oracle needs one concrete request context, while the product reasons about what is known of it. The
 * harness therefore runs the oracle once per "world": every combination of the possible values of the keys the
 * policy mentions. Keys the request model (lib/logs-request-context.ts, which states the documented facts both
 * sides start from) fixes get their value; keys it leaves open get each possibility; keys it does not know get
 * samples (absent, each value the policy compares them with and its neighbours, the group ARN, the account,
 * and one value matching nothing). All worlds allowed: `allow`; none: `deny`; otherwise `unknown`.
 */
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { LOGS_REQUIRED_KMS_ACTIONS, type LogsContext, logsServicePrincipal } from '../../lib/core/key-policy';
import { type KeyFact, lookUpLogsRequestKey } from '../../lib/core/logs-request-context';

export type Verdict = 'allow' | 'deny' | 'unknown';

type Context = Record<string, string | string[]>;

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const MAX_WORLDS = 4096;

/**
 * One oracle run per required action; allowed when every action is.
 *
 * Quirk worked around: the oracle's default entry point, `runSimulation`, first drops every context key it
 * does not list for the action, and it recognises variable keys only in the `prefix/suffix` spelling
 * (aws:PrincipalTag/x), so `kms:EncryptionContext:aws:logs:arn` silently disappears and every scoped statement
 * fails. `runUnsafeSimulation` skips that filtering and takes the context as given. It loads the resource
 * policy without metadata and then crashes reading its name, so the policy is handed over in the oracle's own
 * "already validated" wrapper, which carries the name.
 */
export function oracleAllowsInWorld(original: object, ctx: LogsContext, context: Context): boolean {
  const policy = withArnVariablesFilled(original, context);
  return LOGS_REQUIRED_KMS_ACTIONS.every((action) => {
    const result = runUnsafeSimulation(
      {
        request: {
          principal: logsServicePrincipal(ctx.region),
          action,
          resource: {
            resource: `arn:${ctx.partition}:kms:${ctx.region}:${ctx.account}:key/${KEY_ID}`,
            accountId: ctx.account,
          },
          contextVariables: context,
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: {
          __validated: true,
          policyDocument: policy,
          metadata: { name: 'key-policy' },
          errors: [],
        },
      },
      {},
    );
    return result === 'Allowed';
  });
}

/**
 * Second quirk worked around: the oracle splits an Arn* pattern at its colons before it fills policy variables
 * in, so `arn:aws:logs:${aws:RequestedRegion}:…` falls apart at the colon inside the variable's name: it never
 * matches, and under ArnNotLike it even holds. IAM documents policy variables for ARN operators, so the harness
 * fills in the variables that have a value in this world itself (plain text substitution), and renames one
 * without a value to a colon-free name that is not in the context either, which the oracle then treats as an
 * unset variable (the comparison fails, negated or not), as it does in String operators.
 */
function withArnVariablesFilled(policy: object, context: Context): object {
  const values = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), [v].flat()[0] ?? '']));
  const unset = '$' + '{unsetvariable}';
  const fill = (value: unknown) =>
    String(value).replace(
      /\$\{([^},]+)\}/g,
      (_whole, key: string) => values.get(key.trim().toLowerCase()) ?? unset,
    );
  const copy = structuredClone(policy) as { Statement?: unknown };
  for (const statement of [copy.Statement ?? []].flat() as {
    Condition?: Record<string, Record<string, unknown>>;
  }[]) {
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
      if (!/arn/i.test(operator)) continue;
      for (const [key, raw] of Object.entries(block))
        block[key] = Array.isArray(raw) ? raw.map(fill) : fill(raw);
    }
  }
  return copy;
}

/** Every condition key the policy uses, with the values it compares each with; variables count as keys. */
function keysIn(policy: { Statement?: unknown }): Map<string, { key: string; values: string[] }> {
  const found = new Map<string, { key: string; values: string[] }>();
  const note = (key: string, values: string[]) => {
    const entry = found.get(key.toLowerCase()) ?? { key, values: [] };
    entry.values.push(...values);
    found.set(key.toLowerCase(), entry);
  };
  const statements = [policy.Statement ?? []].flat() as {
    Condition?: Record<string, Record<string, unknown>>;
  }[];
  for (const statement of statements) {
    for (const block of Object.values(statement.Condition ?? {})) {
      for (const [key, raw] of Object.entries(block)) {
        const values = [raw].flat().map(String);
        note(key, values);
        for (const value of values) {
          for (const [, inner = ''] of value.matchAll(/\$\{([^}]*)\}/g)) {
            const variable = inner.split(',')[0]?.trim() ?? '';
            if (!['*', '?', '$'].includes(variable)) note(variable, []);
          }
        }
      }
    }
  }
  return found;
}

/** Values a key the model does not know might take: null is "absent". */
function samplesFor(values: string[], ctx: LogsContext, groupArn: string): (string | null)[] {
  const samples = new Set<string>([groupArn, ctx.account, 'zz-matches-nothing']);
  for (const value of values) {
    if (value.includes('${')) continue;
    samples.add(value);
    const number = Number(value);
    if (value.trim() !== '' && Number.isFinite(number)) {
      for (const n of [number - 1, number + 1]) samples.add(String(n));
    }
    const date = Date.parse(value);
    if (!Number.isFinite(number) && Number.isFinite(date)) {
      for (const days of [-1, 1]) samples.add(new Date(date + days * 86_400_000).toISOString());
    }
    const cidr = /^(\d+\.\d+\.\d+\.\d+)\/\d+$/.exec(value);
    if (cidr?.[1]) samples.add(cidr[1]);
  }
  return [null, ...samples];
}

function worldsOfFact(fact: KeyFact): (string | string[] | null)[] {
  if (fact.kind === 'absent') return [null];
  if (fact.kind === 'present') return [fact.multivalued ? fact.values : (fact.values[0] ?? '')];
  return fact.worlds.map((w) => (w === null ? null : (w[0] ?? '')));
}

/** The contexts to try: the cartesian product of each mentioned key's possibilities. */
export function worldsFor(policy: object, ctx: LogsContext, groupArn: string): Context[] {
  const facts = { region: ctx.region, account: ctx.account, groupArn };
  let worlds: Context[] = [{}];
  for (const { key, values } of keysIn(policy).values()) {
    const fact = lookUpLogsRequestKey(key, facts);
    const options = fact ? worldsOfFact(fact) : samplesFor(values, ctx, groupArn);
    worlds = worlds.flatMap((world) =>
      options.map((option) => (option === null ? world : { ...world, [key]: option })),
    );
    if (worlds.length > MAX_WORLDS) throw new Error(`too many worlds for the oracle (${worlds.length})`);
  }
  return worlds;
}

/** The oracle's verdict over every world, and how many worlds it took. */
export function oracleVerdict(
  policy: object,
  ctx: LogsContext,
  groupArn: string,
): { verdict: Verdict; worlds: number } {
  const worlds = worldsFor(policy, ctx, groupArn);
  const outcomes = new Set(worlds.map((world) => oracleAllowsInWorld(policy, ctx, world)));
  const verdict: Verdict = outcomes.size > 1 ? 'unknown' : outcomes.has(true) ? 'allow' : 'deny';
  return { verdict, worlds: worlds.length };
}
