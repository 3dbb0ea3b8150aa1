import { assessKey } from '../../lib/core/key-check';
import { LOGS_POLICY_STATEMENT_SID } from '../../lib/core/key-policy';
import {
  diffLines,
  KEY_POLICY_MAX_BYTES,
  type KeyPolicyFix,
  planKeyPolicyFix,
  putKeyPolicyCommand,
  renderDiff,
  uniqueSid,
} from '../../lib/core/policy-fix';
import type { KeyFacts } from '../../lib/core/types';
import {
  ACCOUNT,
  goodKey,
  KEY_ARN,
  LOGS_STATEMENT,
  policyDocument,
  REGION,
  ROOT_STATEMENT,
} from '../support/fakes';

const withDocument = (document: string): KeyFacts => goodKey({ policy: { readable: true, document } });
const withPolicy = (...statements: object[]) => withDocument(policyDocument(...statements));
const plan = (facts: KeyFacts) => planKeyPolicyFix(facts, REGION, ACCOUNT);
const added = (fix: KeyPolicyFix) => {
  if (fix.outcome !== 'add-statement') throw new Error(`expected add-statement, got ${fix.outcome}`);
  return fix;
};
const statementsOf = (document: string) => (JSON.parse(document) as { Statement: object[] }).Statement;

const DENY_ALL_LOGS = {
  Sid: 'DenyLogs',
  Effect: 'Deny',
  Principal: { Service: `logs.${REGION}.amazonaws.com` },
  Action: 'kms:*',
  Resource: '*',
};
// CloudWatch Logs' requests carry no aws:PrincipalOrgID: without the AWS-service exemption, this denies them.
const DENY_OUTSIDE_ORG = {
  Sid: 'DenyOutsideOrg',
  Effect: 'Deny',
  Principal: '*',
  Action: 'kms:*',
  Resource: '*',
  Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
};
// Whether CloudWatch Logs' requests match aws:SourceIp is not known: this Deny may apply.
const DENY_OUTSIDE_OFFICE = {
  Sid: 'OfficeOnly',
  Effect: 'Deny',
  Principal: '*',
  Action: 'kms:*',
  Resource: '*',
  Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } },
};
const SCOPED_LOGS = {
  ...LOGS_STATEMENT,
  Sid: 'LogsForApp',
  Condition: {
    ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/app/*` },
  },
};
const OTHER = {
  Sid: 'AllowAuditorsToDescribe',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/auditor` },
  Action: ['kms:DescribeKey', 'kms:GetKeyPolicy'],
  Resource: '*',
};

describe('planKeyPolicyFix', () => {
  it('adds the statement of policyFix to a root-only policy, keeping the other statements as they were', () => {
    const fix = added(plan(withPolicy(ROOT_STATEMENT, OTHER)));
    expect(statementsOf(fix.after)).toEqual([ROOT_STATEMENT, OTHER, LOGS_STATEMENT]);
    expect(fix.statement).toEqual(LOGS_STATEMENT);
    expect(fix.residual).toBeUndefined();
    // The statement is the one the key check recommends for this account and region.
    const facts = withPolicy(ROOT_STATEMENT);
    const check = assessKey(facts, REGION, ACCOUNT);
    expect(check.report.policyFix).toEqual(LOGS_STATEMENT);
    // And with it, the key check finds the key usable for every group.
    const after = assessKey(withDocument(fix.after), REGION, ACCOUNT);
    expect(after.usable).toBe(true);
    expect(after.access.kind).toBe('all-groups');
  });

  it('keeps every top-level field (Version, Id) and turns a lone statement object into a list of two', () => {
    const document = JSON.stringify({
      Version: '2012-10-17',
      Id: 'key-consolepolicy-3',
      Statement: ROOT_STATEMENT,
    });
    const fix = added(plan(withDocument(document)));
    expect(JSON.parse(fix.after)).toEqual({
      Version: '2012-10-17',
      Id: 'key-consolepolicy-3',
      Statement: [ROOT_STATEMENT, LOGS_STATEMENT],
    });
  });

  it.each([
    ['the same Sid', [LOGS_POLICY_STATEMENT_SID], `${LOGS_POLICY_STATEMENT_SID}2`],
    ['the Sid in other case', [LOGS_POLICY_STATEMENT_SID.toUpperCase()], `${LOGS_POLICY_STATEMENT_SID}2`],
    [
      'the Sid and the Sid 2',
      [LOGS_POLICY_STATEMENT_SID, `${LOGS_POLICY_STATEMENT_SID}2`],
      `${LOGS_POLICY_STATEMENT_SID}3`,
    ],
  ])('gives the statement a Sid of its own when another statement has %s', (_case, sids, expected) => {
    // Scoped statements that hold the Sids: the policy still needs the all-groups statement.
    const holders = sids.map((Sid, n) => ({
      ...SCOPED_LOGS,
      Sid,
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/x${n}/*`,
        },
      },
    }));
    const fix = added(plan(withPolicy(ROOT_STATEMENT, ...holders)));
    const sidsAfter = statementsOf(fix.after).map((s) => (s as { Sid?: string }).Sid);
    expect(sidsAfter).toEqual([ROOT_STATEMENT.Sid, ...sids, expected]);
    expect(new Set(sidsAfter.map((s) => s?.toLowerCase())).size).toBe(sidsAfter.length);
  });

  it.each<[string, KeyFacts, KeyPolicyFix['outcome']]>([
    [
      'a policy that already lets CloudWatch Logs in',
      withPolicy(ROOT_STATEMENT, LOGS_STATEMENT),
      'already-allowed',
    ],
    ['its own output', withDocument(added(plan(withPolicy(ROOT_STATEMENT))).after), 'already-allowed'],
    ['a Deny of CloudWatch Logs', withPolicy(ROOT_STATEMENT, DENY_ALL_LOGS), 'blocked'],
    ['a Deny outside the organization', withPolicy(ROOT_STATEMENT, DENY_OUTSIDE_ORG), 'blocked'],
    ['a policy that is not JSON', withDocument('{"Statement": ['), 'policy-unreadable'],
    [
      'a policy it may not read',
      goodKey({ policy: { readable: false, errorCode: 'AccessDeniedException', message: 'no' } }),
      'policy-unreadable',
    ],
    [
      'a missing key',
      {
        found: false,
        requested: 'alias/x',
        errorCode: 'NotFoundException',
        message: 'gone',
        transient: false,
      },
      'key-unavailable',
    ],
  ])('changes nothing for %s', (_case, facts, outcome) => {
    expect(plan(facts).outcome).toBe(outcome);
  });

  it('names the Deny that keeps CloudWatch Logs out, and adds nothing', () => {
    const fix = plan(withPolicy(ROOT_STATEMENT, DENY_ALL_LOGS));
    expect(fix).toMatchObject({ outcome: 'blocked', deny: { sid: 'DenyLogs', certain: true } });
    expect(fix.outcome === 'blocked' && fix.message).toMatch(/DenyLogs/);
  });

  it('adds the statement but reports a Deny whose conditions may still apply', () => {
    const fix = added(plan(withPolicy(ROOT_STATEMENT, DENY_OUTSIDE_OFFICE)));
    expect(fix.residual).toMatchObject({ sid: 'OfficeOnly', certain: false });
  });

  it('reports the statement already present, and adds no second copy', () => {
    const fix = plan(withPolicy(ROOT_STATEMENT, { ...LOGS_STATEMENT, Sid: 'Mine' }, DENY_OUTSIDE_OFFICE));
    expect(fix).toMatchObject({
      outcome: 'already-present',
      sid: 'Mine',
      residual: { sid: 'OfficeOnly' },
    });
  });

  it('widens a scoped policy to every group of the account when asked', () => {
    const fix = added(plan(withPolicy(ROOT_STATEMENT, SCOPED_LOGS)));
    expect(statementsOf(fix.after)).toEqual([ROOT_STATEMENT, SCOPED_LOGS, LOGS_STATEMENT]);
  });

  it('refuses a result over the 32 KB a key policy may have', () => {
    const filler = Array.from({ length: 200 }, (_, n) => ({
      ...OTHER,
      Sid: `Filler${n}`,
      Action: ['kms:DescribeKey'],
    }));
    const fix = plan(withPolicy(ROOT_STATEMENT, ...filler));
    expect(fix.outcome).toBe('add-statement');
    const big = Array.from({ length: 330 }, (_, n) => ({ ...OTHER, Sid: `Filler${n}` }));
    const tooBig = plan(withPolicy(ROOT_STATEMENT, ...big));
    expect(tooBig).toMatchObject({ outcome: 'too-large' });
    expect(tooBig.outcome === 'too-large' && tooBig.bytes).toBeGreaterThan(KEY_POLICY_MAX_BYTES);
  });
});

describe('uniqueSid', () => {
  it.each([
    ['free', 'A', [], 'A'],
    ['taken', 'A', ['a'], 'A2'],
    ['taken twice', 'A', ['a', 'a2'], 'A3'],
  ])('picks the first free Sid (%s)', (_case, base, taken, expected) => {
    expect(uniqueSid(base, new Set(taken))).toBe(expected);
  });
});

describe('diffLines and renderDiff', () => {
  it.each([
    ['an addition', 'a\nb\nc', 'a\nb\nx\nc', [' a', ' b', '+x', ' c']],
    ['a removal', 'a\nb\nc', 'a\nc', [' a', '-b', ' c']],
    ['a change', 'a\nb', 'a\nc', [' a', '-b', '+c']],
    ['nothing', 'a', 'a', [' a']],
  ])('finds %s', (_case, before, after, expected) => {
    expect(diffLines(before, after).map((l) => `${l.op}${l.text}`)).toEqual(expected);
  });

  it('shows the added statement with context, the rest elided', () => {
    const fix = added(plan(withPolicy(ROOT_STATEMENT, OTHER)));
    const diff = diffLines(fix.before, fix.after);
    expect(diff.filter((l) => l.op === '-')).toEqual([]);
    const rendered = renderDiff(diff, 1);
    expect(rendered[0]).toBe('...');
    expect(rendered.filter((l) => l.startsWith('+')).join('\n')).toContain(LOGS_POLICY_STATEMENT_SID);
    // Kept lines far from the change are left out.
    expect(rendered.join('\n')).not.toContain('EnableRootAccess');
  });
});

describe('putKeyPolicyCommand', () => {
  it('quotes the policy for a POSIX shell and never bypasses the lockout check', () => {
    const document = policyDocument({ ...ROOT_STATEMENT, Sid: "Owner's access" });
    const command = putKeyPolicyCommand(KEY_ARN, REGION, document);
    expect(command).toMatch(
      /^aws kms put-key-policy --region us-east-1 --key-id arn:aws:kms:\S+ --policy-name default --policy '/,
    );
    expect(command).toContain(`Owner'\\''s access`);
    expect(command).not.toContain('bypass');
  });
});
