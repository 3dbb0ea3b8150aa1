/**
 * Pure: the operator's fix of a key policy (the CLI's fix-key-policy and check-key). It adds the
 * statement the key check recommends (`policyFix`, {@link buildLogsPolicyStatement}) to the policy
 * document as KMS holds it, and touches nothing else: every other statement, and every other
 * top-level field, stays exactly as it was. The new statement gets a Sid no other statement has.
 */
import { assessKey, type Blocker, fixBlocker } from './key-check';
import { buildLogsPolicyStatement, parseKeyPolicy } from './key-policy';
import type { KeyFacts, PolicyStatement } from './types';

/**
 * A key policy is at most 32 KB (32,768 bytes) (KMS Developer Guide, key-policy-overview.html,
 * "Key policy format").
 */
export const KEY_POLICY_MAX_BYTES = 32_768;

/** What fixing the key policy for CloudWatch Logs comes to, for this account and region. */
export type KeyPolicyFix =
  /** DescribeKey failed: there is no policy to fix. */
  | { outcome: 'key-unavailable'; message: string }
  | { outcome: 'policy-unreadable'; message: string }
  /** The policy already lets CloudWatch Logs use the key for every group of the account: nothing to do. */
  | { outcome: 'already-allowed' }
  /** A Deny keeps CloudWatch Logs out whatever is added: the policy is left alone. */
  | { outcome: 'blocked'; deny: Blocker; message: string }
  /** The statement is there already; what still stands in the way (a Deny that may apply) is in `residual`. */
  | { outcome: 'already-present'; sid: string | undefined; residual: Blocker | undefined }
  | { outcome: 'too-large'; bytes: number }
  | {
      outcome: 'add-statement';
      statement: PolicyStatement;
      /** The document as it is, and as it will be, both as 2-space JSON so that the diff shows only the change. */
      before: string;
      after: string;
      /** A Deny whose conditions may still apply to CloudWatch Logs' requests once the statement is added. */
      residual: Blocker | undefined;
    };

/** Decide how to fix the key policy of `facts` for the log groups of `account` in `region`. */
export function planKeyPolicyFix(facts: KeyFacts, region: string, account: string): KeyPolicyFix {
  if (!facts.found) {
    return { outcome: 'key-unavailable', message: `${facts.errorCode}: ${facts.message}` };
  }
  if (!facts.policy.readable) {
    return { outcome: 'policy-unreadable', message: `${facts.policy.errorCode}: ${facts.policy.message}` };
  }
  const parsed = parseKeyPolicy(facts.policy.document);
  const raw = parseDocument(facts.policy.document);
  if (!parsed.ok || typeof raw === 'string') {
    return { outcome: 'policy-unreadable', message: parsed.ok ? String(raw) : parsed.message };
  }
  const assessment = assessKey(facts, region, account);
  if (assessment.access.kind === 'all-groups') return { outcome: 'already-allowed' };
  const blocker = fixBlocker(parsed.policy, assessment.logs);
  if (blocker?.certain) {
    const problem = assessment.report.problems.find((p) => p.code === 'KEY_POLICY_DENIES_LOGS');
    return { outcome: 'blocked', deny: blocker, message: problem?.message ?? describeBlocker(blocker) };
  }
  const statement = buildLogsPolicyStatement(assessment.logs);
  const present = raw.statements.find((s) => sameStatement(s, statement));
  if (present) return { outcome: 'already-present', sid: sidOf(present), residual: blocker };
  return addStatement(raw, statement, blocker);
}

/** The merged document: the statement appended, with a Sid of its own, in the smallest form that fits. */
function addStatement(
  raw: RawPolicy,
  statement: PolicyStatement,
  residual: Blocker | undefined,
): KeyPolicyFix {
  const taken = new Set(raw.statements.map(sidOf).flatMap((sid) => (sid ? [sid.toLowerCase()] : [])));
  const added = { ...statement, Sid: uniqueSid(statement.Sid ?? 'AllowCloudWatchLogs', taken) };
  const merged = { ...raw.document, Statement: [...raw.statements, added] };
  const before = JSON.stringify(raw.document, null, 2);
  const pretty = JSON.stringify(merged, null, 2);
  // Indentation is not worth failing for: the compact form says the same.
  const after = byteLength(pretty) <= KEY_POLICY_MAX_BYTES ? pretty : JSON.stringify(merged);
  if (byteLength(after) > KEY_POLICY_MAX_BYTES) return { outcome: 'too-large', bytes: byteLength(after) };
  return { outcome: 'add-statement', statement: added, before, after, residual };
}

/** `base`, or `base2`, `base3`… : the first no statement uses. Compared without case, to be safe. */
export function uniqueSid(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}${n}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

interface RawPolicy {
  /** The document's top level, as KMS returned it. */
  document: Record<string, unknown>;
  /** Its statements, a list even where the document has a single statement object. */
  statements: unknown[];
}

function parseDocument(text: string): RawPolicy | string {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return `the key policy is not JSON: ${String(error)}`;
  }
  if (!isRecord(document)) return 'the key policy is not a JSON object';
  const statement = document.Statement;
  if (Array.isArray(statement)) return { document, statements: statement };
  if (isRecord(statement)) return { document, statements: [statement] };
  return 'the key policy has no Statement';
}

/** Equal but for the Sid, keys in any order. */
function sameStatement(candidate: unknown, statement: PolicyStatement): boolean {
  if (!isRecord(candidate)) return false;
  const { Sid: _a, ...rest } = candidate;
  const { Sid: _b, ...wanted } = statement;
  return canonical(rest) === canonical(wanted);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sidOf(statement: unknown): string | undefined {
  return isRecord(statement) && typeof statement.Sid === 'string' ? statement.Sid : undefined;
}

function describeBlocker(blocker: Blocker): string {
  const deny = blocker.sid === undefined ? 'a Deny statement' : `the Deny statement ${blocker.sid}`;
  return `${deny} ${blocker.certain ? 'denies' : 'may deny'} CloudWatch Logs ${blocker.action}.`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** One line of a diff: kept, added or removed. */
export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

/**
 * A line diff (longest common subsequence). Key policies are at most 32 KB, so the quadratic
 * table stays small.
 */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const width = b.length + 1;
  // common[i * width + j]: length of the longest common subsequence of a[i..] and b[j..].
  const common = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i * width + j] =
        a[i] === b[j]
          ? (common[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(common[(i + 1) * width + j] ?? 0, common[i * width + j + 1] ?? 0);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ op: ' ', text: a[i++] ?? '' });
      j++;
    } else if (
      i < a.length &&
      (j >= b.length || (common[(i + 1) * width + j] ?? 0) >= (common[i * width + j + 1] ?? 0))
    ) {
      // Removals before additions, as diff(1) shows a changed line.
      lines.push({ op: '-', text: a[i++] ?? '' });
    } else {
      lines.push({ op: '+', text: b[j++] ?? '' });
    }
  }
  return lines;
}

/** The changed lines of a diff with `context` kept lines around each, and `...` where lines are left out. */
export function renderDiff(lines: readonly DiffLine[], context = 3): string[] {
  const near = (index: number) =>
    lines.slice(Math.max(0, index - context), index + context + 1).some((l) => l.op !== ' ');
  const out: string[] = [];
  let skipped = false;
  lines.forEach((line, index) => {
    if (line.op !== ' ' || near(index)) {
      if (skipped) out.push('...');
      skipped = false;
      out.push(`${line.op} ${line.text}`);
    } else {
      skipped = true;
    }
  });
  if (skipped) out.push('...');
  return out;
}

/**
 * The AWS CLI command that puts `document` as the key policy. Single-quoted for a POSIX shell; the
 * lockout safety check stays on (no --bypass-policy-lockout-safety-check).
 */
export function putKeyPolicyCommand(keyArn: string, region: string, document: string): string {
  const compact = JSON.stringify(JSON.parse(document));
  const quoted = `'${compact.replace(/'/g, `'\\''`)}'`;
  return `aws kms put-key-policy --region ${region} --key-id ${keyArn} --policy-name default --policy ${quoted}`;
}
