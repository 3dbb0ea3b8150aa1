import fc from 'fast-check';
import {
  buildReport,
  computeTotals,
  KEYS_IN_USE_MAX_BYTES,
  type RunSummary,
  renderSnsMessage,
  renderSubject,
  renderText,
  reportStatus,
  SNS_MAX_MESSAGE_BYTES,
  shouldPublish,
} from '../../lib/core/report';
import type {
  GroupOutcome,
  KeyInUse,
  KeyReport,
  Outcome,
  Report,
  ReportStatus,
  Totals,
} from '../../lib/core/types';
import { keyReport } from '../support/fakes';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** The order the report promises: groups at risk of losing their logs, then failures. */
const SPEC_ORDER: readonly Outcome[] = [
  'at-risk',
  'failed',
  'skipped',
  'unverified',
  'not-reached',
  'other-key',
  'remediated',
  'reassociated',
  'would-remediate',
  'would-reassociate',
  'excluded',
];

const HEADINGS: Record<Outcome, string> = {
  'at-risk': 'At risk',
  failed: 'Failed',
  skipped: 'Skipped',
  unverified: 'Unverified',
  'not-reached': 'Not reached',
  'other-key': 'On another key',
  remediated: 'Remediated',
  reassociated: 'Reassociated',
  'would-remediate': 'Would remediate',
  'would-reassociate': 'Would reassociate',
  excluded: 'Excluded',
};

const usableKey = (overrides: Partial<KeyReport> = {}): KeyReport =>
  keyReport({ arn: KEY_ARN, ...overrides });

function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 'run-0001',
    account: ACCOUNT,
    region: REGION,
    dryRun: false,
    startedAt: new Date('2025-01-06T03:00:00.000Z'),
    finishedAt: new Date('2025-01-06T03:00:42.000Z'),
    complete: true,
    key: usableKey(),
    alreadyEncrypted: 0,
    outcomes: [],
    keysInUse: [],
    ...overrides,
  };
}

function report(overrides: Partial<RunSummary> = {}): Report {
  return buildReport(summary(overrides));
}

const remediated = (logGroupName: string): GroupOutcome => ({ outcome: 'remediated', logGroupName });
const wouldRemediate = (logGroupName: string): GroupOutcome => ({ outcome: 'would-remediate', logGroupName });
const excluded = (logGroupName: string): GroupOutcome => ({
  outcome: 'excluded',
  logGroupName,
  reason: 'exclude-tag',
});
const skipped = (logGroupName: string): GroupOutcome => ({
  outcome: 'skipped',
  logGroupName,
  reason: 'delivery-class',
  message: 'DELIVERY log groups cannot use a customer-managed key',
});
const failed = (
  logGroupName: string,
  message = 'The key policy does not allow logs.amazonaws.com',
): GroupOutcome => ({
  outcome: 'failed',
  logGroupName,
  errorCode: 'AccessDeniedException',
  message,
});
const notReached = (logGroupName: string): GroupOutcome => ({
  outcome: 'not-reached',
  logGroupName,
  reason: 'max-remediations',
});
const OLD_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0000aaaa-12ab-34cd-56ef-1234567890ab`;
const onKey =
  (outcome: 'at-risk' | 'other-key' | 'unverified' | 'reassociated' | 'would-reassociate', reason: string) =>
  (logGroupName: string): GroupOutcome =>
    ({
      outcome,
      logGroupName,
      reason,
      message: `${outcome} because ${reason}`,
      kmsKeyId: OLD_KEY,
    }) as GroupOutcome;
const atRisk = onKey('at-risk', 'key-pending-deletion');
const otherKey = onKey('other-key', 'not-target-key');
const unverified = onKey('unverified', 'key-unreadable');
const reassociated = onKey('reassociated', 'key-disabled');
const wouldReassociate = onKey('would-reassociate', 'not-target-key');

/** One of each listed outcome, deliberately out of order. */
const ONE_OF_EACH: GroupOutcome[] = [
  excluded('/ex/1'),
  wouldReassociate('/wr/1'),
  remediated('/rem/1'),
  unverified('/unv/1'),
  notReached('/nr/1'),
  reassociated('/re/1'),
  wouldRemediate('/would/1'),
  otherKey('/other/1'),
  failed('/fail/1'),
  atRisk('/risk/1'),
  skipped('/skip/1'),
];

const nameArb = fc
  .array(fc.constantFrom(...'abcdefghij/_-.'), { minLength: 1, maxLength: 12 })
  .map((chars) => `/${chars.join('')}`);

const outcomeArb: fc.Arbitrary<GroupOutcome> = fc.oneof(
  nameArb.map(remediated),
  nameArb.map(wouldRemediate),
  nameArb.map(excluded),
  nameArb.map(skipped),
  nameArb.map((name) => failed(name)),
  nameArb.map(notReached),
);

describe('computeTotals', () => {
  it.each<[string, number, GroupOutcome[], Totals]>([
    [
      'nothing at all',
      0,
      [],
      {
        scanned: 0,
        alreadyEncrypted: 0,
        remediated: 0,
        wouldRemediate: 0,
        excluded: 0,
        skipped: 0,
        failed: 0,
        notReached: 0,
        atRisk: 0,
        otherKey: 0,
        unverified: 0,
        reassociated: 0,
        wouldReassociate: 0,
      },
    ],
    [
      'only already-encrypted groups',
      5,
      [],
      {
        scanned: 5,
        alreadyEncrypted: 5,
        remediated: 0,
        wouldRemediate: 0,
        excluded: 0,
        skipped: 0,
        failed: 0,
        notReached: 0,
        atRisk: 0,
        otherKey: 0,
        unverified: 0,
        reassociated: 0,
        wouldReassociate: 0,
      },
    ],
    [
      'one of each outcome',
      2,
      ONE_OF_EACH,
      {
        scanned: 13,
        alreadyEncrypted: 2,
        remediated: 1,
        wouldRemediate: 1,
        excluded: 1,
        skipped: 1,
        failed: 1,
        notReached: 1,
        atRisk: 1,
        otherKey: 1,
        unverified: 1,
        reassociated: 1,
        wouldReassociate: 1,
      },
    ],
    [
      'repeated outcomes',
      1,
      [remediated('/a'), remediated('/b'), failed('/c'), remediated('/d'), excluded('/e')],
      {
        scanned: 6,
        alreadyEncrypted: 1,
        remediated: 3,
        wouldRemediate: 0,
        excluded: 1,
        skipped: 0,
        failed: 1,
        notReached: 0,
        atRisk: 0,
        otherKey: 0,
        unverified: 0,
        reassociated: 0,
        wouldReassociate: 0,
      },
    ],
  ])('counts %s', (_case, alreadyEncrypted, outcomes, expected) => {
    expect(computeTotals(alreadyEncrypted, outcomes)).toEqual(expected);
  });

  it('counts each outcome and makes scanned the sum of the other seven, for any outcome list', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 100_000 }),
        fc.array(outcomeArb, { maxLength: 60 }),
        (alreadyEncrypted, outcomes) => {
          // Act
          const t = computeTotals(alreadyEncrypted, outcomes);

          // Assess
          const tally = (o: Outcome) => outcomes.reduce((n, g) => (g.outcome === o ? n + 1 : n), 0);
          expect(t.alreadyEncrypted).toBe(alreadyEncrypted);
          expect(t.remediated).toBe(tally('remediated'));
          expect(t.wouldRemediate).toBe(tally('would-remediate'));
          expect(t.excluded).toBe(tally('excluded'));
          expect(t.skipped).toBe(tally('skipped'));
          expect(t.failed).toBe(tally('failed'));
          expect(t.notReached).toBe(tally('not-reached'));
          expect(t.scanned).toBe(
            t.alreadyEncrypted +
              t.remediated +
              t.wouldRemediate +
              t.excluded +
              t.skipped +
              t.failed +
              t.notReached,
          );
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('buildReport', () => {
  it('lists groups failed, skipped, not-reached, remediated, would-remediate, excluded, names sorted within each', () => {
    // Prepare
    const outcomes = [
      remediated('/rem/b'),
      excluded('/ex/a'),
      failed('/fail/z'),
      wouldRemediate('/would/a'),
      skipped('/skip/b'),
      remediated('/rem/a'),
      notReached('/nr/a'),
      failed('/fail/a'),
      skipped('/skip/a'),
    ];

    // Act
    const built = report({ outcomes });

    // Assess
    expect(built.groups.map((g) => g.logGroupName)).toEqual([
      '/fail/a',
      '/fail/z',
      '/skip/a',
      '/skip/b',
      '/nr/a',
      '/rem/a',
      '/rem/b',
      '/would/a',
      '/ex/a',
    ]);
  });

  it('orders any outcome list by outcome, then by name, keeping every entry', () => {
    fc.assert(
      fc.property(fc.array(outcomeArb, { maxLength: 40 }), (outcomes) => {
        const groups = report({ outcomes }).groups;

        expect(groups).toHaveLength(outcomes.length);
        expect(groups).toEqual(expect.arrayContaining(outcomes));
        for (let i = 1; i < groups.length; i++) {
          const prev = groups[i - 1] as GroupOutcome;
          const cur = groups[i] as GroupOutcome;
          const byOutcome = SPEC_ORDER.indexOf(prev.outcome) - SPEC_ORDER.indexOf(cur.outcome);
          expect(byOutcome <= 0).toBe(true);
          if (byOutcome === 0) expect(prev.logGroupName <= cur.logGroupName).toBe(true);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('leaves the outcome list it was given in its original order', () => {
    const outcomes = [remediated('/b'), failed('/a')];

    report({ outcomes });

    expect(outcomes.map((g) => g.logGroupName)).toEqual(['/b', '/a']);
  });

  it('fills in the run details, ISO timestamps, totals and groupsOmitted 0', () => {
    const built = report({ alreadyEncrypted: 4, outcomes: [remediated('/a')], dryRun: true });

    expect(built).toMatchObject({
      schemaVersion: 2,
      runId: 'run-0001',
      account: ACCOUNT,
      region: REGION,
      dryRun: true,
      startedAt: '2025-01-06T03:00:00.000Z',
      finishedAt: '2025-01-06T03:00:42.000Z',
      complete: true,
      groupsOmitted: 0,
    });
    expect(built.totals.scanned).toBe(5);
    expect(built.key).toEqual(usableKey());
  });

  it.each([
    ['resumeToken', { resumeToken: 'tok-1' }, 'tok-1'],
    [
      'scanError',
      { scanError: { code: 'ThrottlingException', message: 'Rate exceeded' } },
      expect.anything(),
    ],
  ])('includes %s only when the run has one', (field, overrides, expected) => {
    expect(report(overrides)).toHaveProperty(field, expected);
    expect(report()).not.toHaveProperty(field);
  });
});

describe('reportStatus', () => {
  it.each<[string, Partial<RunSummary>, ReportStatus]>([
    ['nothing to do', { alreadyEncrypted: 3 }, 'compliant'],
    ['an empty account', {}, 'compliant'],
    ['only exclusions', { outcomes: [excluded('/a')] }, 'compliant'],
    ['remediations only', { outcomes: [remediated('/a'), excluded('/b')] }, 'remediated'],
    ['a would-be remediation (dry run)', { dryRun: true, outcomes: [wouldRemediate('/a')] }, 'findings'],
    ['a skipped group', { outcomes: [remediated('/a'), skipped('/b')] }, 'findings'],
    ['a group not reached', { outcomes: [remediated('/a'), notReached('/b')] }, 'findings'],
    ['an incomplete run', { complete: false, resumeToken: 't', outcomes: [remediated('/a')] }, 'findings'],
    ['a failed group', { outcomes: [remediated('/a'), skipped('/b'), failed('/c')] }, 'failed'],
    ['a scan error', { scanError: { code: 'ThrottlingException', message: 'Rate exceeded' } }, 'failed'],
    [
      'an unusable key, whatever else happened',
      { key: usableKey({ usable: false }), outcomes: [failed('/a'), remediated('/b')] },
      'key-unusable',
    ],
  ])('is %p for %s', (_case, overrides, expected) => {
    expect(reportStatus(report(overrides))).toBe(expected);
  });
});

describe('shouldPublish', () => {
  const byStatus: [ReportStatus, Partial<RunSummary>][] = [
    ['compliant', { alreadyEncrypted: 3 }],
    ['remediated', { outcomes: [remediated('/a')] }],
    ['findings', { outcomes: [wouldRemediate('/a')] }],
    ['failed', { outcomes: [failed('/a')] }],
    ['key-unusable', { key: usableKey({ usable: false }) }],
  ];

  it.each(byStatus)('publishes a %s report when REPORT_WHEN is always', (status, overrides) => {
    const built = report(overrides);
    expect(reportStatus(built)).toBe(status);

    expect(shouldPublish(built, 'always')).toBe(true);
  });

  it.each(byStatus.map(([status, overrides]) => [status, overrides, status !== 'compliant'] as const))(
    'with REPORT_WHEN=findings, publishes a %s report: %p',
    (status, overrides, expected) => {
      const built = report(overrides);
      expect(reportStatus(built)).toBe(status);

      expect(shouldPublish(built, 'findings')).toBe(expected);
    },
  );
});

describe('renderSubject', () => {
  const huge = 10 ** 15;
  const hugeTotals: Totals = {
    scanned: huge * 7,
    alreadyEncrypted: huge,
    remediated: huge,
    wouldRemediate: huge,
    excluded: huge,
    skipped: huge,
    failed: huge,
    notReached: huge,
    atRisk: huge,
    otherKey: huge,
    unverified: huge,
    reassociated: huge,
    wouldReassociate: huge,
  };

  it.each<[string, Report]>([
    ['a typical run', report({ outcomes: ONE_OF_EACH })],
    ['a huge account string', report({ account: 'a'.repeat(5_000), outcomes: ONE_OF_EACH })],
    ['a huge region string', report({ region: 'r'.repeat(5_000), dryRun: true })],
    ['huge counts', { ...report({ dryRun: true }), totals: hugeTotals }],
    ['an account with line breaks', report({ account: `12345\n6789\r\n012`, outcomes: [remediated('/a')] })],
    ['non-ASCII in the region', report({ region: 'eu-wést-1\u2028', outcomes: [remediated('/a')] })],
    ['a tab in the account', report({ account: '1234\t5678', outcomes: [remediated('/a')] })],
  ])('stays under 100 printable ASCII characters with no line breaks for %s', (_case, built) => {
    const subject = renderSubject(built);

    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it.each([true, false])('starts with [DRY RUN] exactly when dryRun is %p', (dryRun) => {
    const subject = renderSubject(report({ dryRun, outcomes: [remediated('/a')] }));

    expect(subject.startsWith('[DRY RUN]')).toBe(dryRun);
    expect(subject.slice(1)).not.toContain('[DRY RUN]');
  });

  it.each<[GroupOutcome[], string[]]>([
    [
      [remediated('/a'), remediated('/b'), failed('/c')],
      ['2 remediated', '1 failed'],
    ],
    [
      [wouldRemediate('/a'), skipped('/b'), notReached('/c'), notReached('/d')],
      ['1 would remediate', '1 skipped', '2 not reached'],
    ],
  ])('mentions the account, the region and each non-zero count (%#)', (outcomes, parts) => {
    const subject = renderSubject(report({ outcomes }));

    expect(subject).toContain(ACCOUNT);
    expect(subject).toContain(REGION);
    for (const part of parts) expect(subject).toContain(part);
  });

  it('leaves out zero counts', () => {
    const subject = renderSubject(report({ outcomes: [remediated('/a'), remediated('/b')] }));

    expect(subject).toContain('2 remediated');
    expect(subject).not.toMatch(/\b0 /);
  });

  it('says how many groups were scanned when the account is compliant', () => {
    const subject = renderSubject(report({ alreadyEncrypted: 17 }));

    expect(subject).toContain('17 scanned');
    expect(subject).toContain('compliant');
  });

  it('says the key is unusable when it is', () => {
    const subject = renderSubject(report({ key: usableKey({ usable: false }), outcomes: [failed('/a')] }));

    expect(subject).toMatch(/key unusable/);
  });

  it.each<[string, Partial<RunSummary>]>([
    [
      'a failed scan with nothing counted',
      { alreadyEncrypted: 3, scanError: { code: 'Throttling', message: 'x' } },
    ],
    ['an incomplete run with nothing counted', { alreadyEncrypted: 3, complete: false, resumeToken: 'tok' }],
    ['a failed group', { outcomes: [failed('/a')] }],
  ])('does not call %s compliant', (_case, overrides) => {
    const built = report(overrides);
    expect(reportStatus(built)).not.toBe('compliant');

    expect(renderSubject(built)).not.toMatch(/compliant/);
  });
});

/** Split the text into its group sections: heading -> the lines listed under it. */
function groupSections(text: string): Map<string, { listed: number; lines: string[] }> {
  const sections = new Map<string, { listed: number; lines: string[] }>();
  let current: { listed: number; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const heading = /^([A-Z][a-z ]+) \((\d+) listed\):$/.exec(line);
    if (heading) {
      current = { listed: Number(heading[2]), lines: [] };
      sections.set(heading[1] ?? '', current);
    } else if (current && line.startsWith('  - ')) {
      current.lines.push(line);
    } else {
      current = undefined;
    }
  }
  return sections;
}

describe('renderText', () => {
  it('contains the summary line with every count', () => {
    const text = renderText(
      report({
        alreadyEncrypted: 7,
        outcomes: [
          remediated('/r1'),
          remediated('/r2'),
          wouldRemediate('/w1'),
          wouldRemediate('/w2'),
          wouldRemediate('/w3'),
          excluded('/e1'),
          excluded('/e2'),
          excluded('/e3'),
          excluded('/e4'),
          skipped('/s1'),
          failed('/f1'),
          failed('/f2'),
          notReached('/n1'),
          notReached('/n2'),
          notReached('/n3'),
        ],
      }),
    );

    const line = text.split('\n').find((l) => l.startsWith('Scanned '));
    expect(line).toBeDefined();
    expect(line).toMatch(/^Scanned 22 log groups:/);
    for (const part of [
      '7 already encrypted',
      '2 remediated',
      '3 would be remediated',
      '4 excluded',
      '1 skipped',
      '2 failed',
      '3 not reached',
    ]) {
      expect(line).toContain(part);
    }
  });

  it('lists each group under its own heading, with the heading counting the groups listed', () => {
    // Prepare
    const outcomes = [...ONE_OF_EACH, remediated('/rem/2'), failed('/fail/2')];

    // Act
    const sections = groupSections(renderText(report({ outcomes })));

    // Assess
    expect([...sections.keys()]).toEqual(SPEC_ORDER.map((o) => HEADINGS[o]));
    for (const outcome of SPEC_ORDER) {
      const expectedNames = outcomes.filter((g) => g.outcome === outcome).map((g) => g.logGroupName);
      const section = sections.get(HEADINGS[outcome]);
      expect(section?.listed).toBe(expectedNames.length);
      expect(section?.lines).toHaveLength(expectedNames.length);
      for (const name of expectedNames) {
        expect(section?.lines.some((l) => l.startsWith(`  - ${name}`))).toBe(true);
      }
    }
  });

  it('omits headings of outcomes with no groups', () => {
    const sections = groupSections(renderText(report({ outcomes: [remediated('/a')] })));

    expect([...sections.keys()]).toEqual(['Remediated']);
  });

  it.each([
    [
      'a failure',
      failed('/f', 'Key is pending deletion'),
      ['AccessDeniedException', 'Key is pending deletion'],
    ],
    ['a skip', skipped('/s'), ['delivery-class', 'DELIVERY log groups cannot use a customer-managed key']],
    ['an exclusion', excluded('/e'), ['exclude-tag']],
    ['a group not reached', notReached('/n'), ['max-remediations']],
  ])('explains %s on its line', (_case, outcome, parts) => {
    const text = renderText(report({ outcomes: [outcome] }));

    const line = text.split('\n').find((l) => l.startsWith(`  - ${outcome.logGroupName}`));
    for (const part of parts) expect(line).toContain(part);
  });

  it('shows every key problem and warning with its code and message', () => {
    const key = usableKey({
      usable: false,
      problems: [
        { code: 'KEY_NOT_ENABLED', message: 'The key is Disabled.' },
        { code: 'KEY_POLICY_DENIES_LOGS', message: 'logs.amazonaws.com may not use the key.' },
      ],
      warnings: [{ code: 'KEY_ROTATION_DISABLED', message: 'Automatic rotation is off.' }],
    });

    const text = renderText(report({ key }));

    for (const finding of [...key.problems, ...key.warnings]) {
      expect(text).toContain(finding.code);
      expect(text).toContain(finding.message);
    }
    expect(text).toContain('NOT USABLE');
  });

  it('calls a key it could not check UNKNOWN, not unusable', () => {
    const key = usableKey({
      usable: false,
      problems: [{ code: 'KEY_LOOKUP_FAILED', message: 'ThrottlingException: Rate exceeded' }],
    });

    const text = renderText(report({ key }));

    expect(text).toContain('UNKNOWN (could not be checked)');
    expect(text).not.toContain('NOT USABLE');
  });

  it.each([
    [true, /continues this DRY RUN: it changes nothing/],
    [false, /continues this live run/],
  ])('says what resuming does when dryRun is %s', (dryRun, sentence) => {
    const text = renderText(report({ dryRun, complete: false, resumeToken: 'tok' }));

    expect(text).toContain('{"resumeToken": "tok"}');
    expect(text).toMatch(sentence);
  });

  it('names the log lines that hold the groups a trimmed report leaves out', () => {
    const text = renderText({ ...report({ outcomes: [remediated('/a')] }), groupsOmitted: 5 });

    expect(text).toContain('"Log group outcome", at INFO or above');
    expect(text).toContain('already-encrypted groups are only counted');
  });

  it('includes the policyFix statement as JSON that parses back to it', () => {
    // Prepare
    const policyFix = {
      Sid: 'AllowCloudWatchLogs',
      Effect: 'Allow' as const,
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:*` } },
    };

    // Act
    const lines = renderText(report({ key: usableKey({ policyFix }) })).split('\n');

    // Assess: the indented block after the invitation is the statement.
    const start = lines.findIndex((l) => /key policy/i.test(l));
    expect(start).toBeGreaterThanOrEqual(0);
    const block: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (!line.startsWith('    ')) break;
      block.push(line);
    }
    expect(JSON.parse(block.join('\n'))).toEqual(policyFix);
  });

  it('says nothing about a policy fix when there is none', () => {
    expect(renderText(report())).not.toMatch(/key policy/i);
  });

  it.each([1, 19_950])('says how many groups are not listed when groupsOmitted is %p', (groupsOmitted) => {
    const text = renderText({ ...report({ outcomes: [failed('/a')] }), groupsOmitted });

    expect(text).toContain(`${groupsOmitted} more groups are not listed`);
  });

  it('has no omitted-groups line when every group is listed', () => {
    expect(renderText(report({ outcomes: ONE_OF_EACH }))).not.toMatch(/not listed/);
  });

  it.each<[string, Partial<RunSummary>, RegExp]>([
    ['marks a dry run', { dryRun: true }, /DRY RUN/],
    ['marks an incomplete run', { complete: false }, /INCOMPLETE/],
    [
      'shows the scan error',
      { scanError: { code: 'ThrottlingException', message: 'Rate exceeded' } },
      /ThrottlingException: Rate exceeded/,
    ],
    ['names the account, region and run', {}, new RegExp(`${ACCOUNT}.*${REGION}.*run-0001`)],
    ['shows the status', { outcomes: [failed('/a')] }, /^Status: failed$/m],
    ['shows the key ARN and the configured alias', {}, new RegExp(`${KEY_ARN}.*alias/log-encryption`)],
  ])('%s', (_case, overrides, pattern) => {
    expect(renderText(report(overrides))).toMatch(pattern);
  });

  it.each([
    [true, 'on'],
    [false, 'off'],
    [null, 'unknown'],
  ])('shows rotation %p as %p', (rotationEnabled, shown) => {
    expect(renderText(report({ key: usableKey({ rotationEnabled }) }))).toContain(`rotation ${shown}`);
  });

  it('does not mark a live, complete run as a dry run or incomplete', () => {
    const text = renderText(report({ outcomes: [remediated('/a')] }));

    expect(text).not.toMatch(/DRY RUN|INCOMPLETE/);
  });
});

describe('renderSnsMessage', () => {
  const ENVELOPE_KEYS = ['default', 'email', 'sqs', 'lambda', 'http', 'https'];

  it('wraps the report in a JSON envelope with a text and a JSON rendering per protocol', () => {
    // Prepare
    const built = report({ dryRun: true, alreadyEncrypted: 3, outcomes: ONE_OF_EACH });

    // Act
    const sns = renderSnsMessage(built);

    // Assess
    const envelope = JSON.parse(sns.message) as Record<string, string>;
    expect(Object.keys(envelope).sort()).toEqual([...ENVELOPE_KEYS].sort());
    for (const protocol of ['sqs', 'lambda', 'http', 'https']) {
      expect(JSON.parse(envelope[protocol] ?? '')).toEqual(built);
    }
    for (const protocol of ['default', 'email']) {
      expect(envelope[protocol]).toBe(renderText(built));
    }
    expect(sns.report).toEqual(built);
    expect(sns.subject).toBe(renderSubject(built));
  });

  it.each<[string, Partial<RunSummary>, Record<string, string>]>([
    [
      'a failed live run',
      { outcomes: [failed('/a')] },
      { status: 'failed', dryRun: 'false', account: ACCOUNT, region: REGION },
    ],
    [
      'a dry run with findings',
      { dryRun: true, outcomes: [wouldRemediate('/a')] },
      { status: 'findings', dryRun: 'true', account: ACCOUNT, region: REGION },
    ],
    [
      'a compliant run in another region',
      { region: 'ap-southeast-2', alreadyEncrypted: 1 },
      { status: 'compliant', dryRun: 'false', account: ACCOUNT, region: 'ap-southeast-2' },
    ],
  ])('sets the status, dryRun, account and region attributes for %s', (_case, overrides, expected) => {
    expect(renderSnsMessage(report(overrides)).attributes).toEqual(expected);
  });

  describe.each([
    ['ASCII failure messages', 'The key policy does not allow logs.amazonaws.com to use the key'],
    [
      'multi-byte failure messages',
      'Zugriff verweigert: Schlüsselrichtlinie 🔑 erlaubt logs.amazonaws.com nicht',
    ],
  ])('with 20,000 groups with long names and %s', (_case, failureMessage) => {
    const TOTAL = 20_000;
    const FAILURES = 50;
    const nameFor = (i: number) =>
      `/aws/lambda/${'very-long-service-name-'.repeat(8)}${String(i).padStart(5, '0')}`;
    const kinds = [remediated, wouldRemediate, excluded, skipped, notReached];
    // Failures are scattered through the input, and sort after most other names.
    const outcomes: GroupOutcome[] = Array.from({ length: TOTAL }, (_, i) =>
      i % (TOTAL / FAILURES) === 7
        ? failed(`/zz/${nameFor(i)}`, failureMessage)
        : (kinds[i % kinds.length] as (n: string) => GroupOutcome)(nameFor(i)),
    );
    const failedNames = new Set(outcomes.filter((g) => g.outcome === 'failed').map((g) => g.logGroupName));
    const built = report({ outcomes, alreadyEncrypted: 1_000 });
    const sns = renderSnsMessage(built);
    const envelope = JSON.parse(sns.message) as Record<string, string>;
    const sent = JSON.parse(envelope.sqs ?? '') as Report;

    it('keeps the message within the SNS limit of 262,144 bytes', () => {
      expect(Buffer.byteLength(sns.message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      expect(SNS_MAX_MESSAGE_BYTES).toBe(262_144);
    });

    it('still lists most of what fits rather than dropping groups needlessly', () => {
      expect(Buffer.byteLength(sns.message)).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES * 0.9);
    });

    it('accounts for every group: listed plus omitted is the total', () => {
      expect(sent.groups.length).toBeLessThan(TOTAL);
      expect(sent.groups.length + sent.groupsOmitted).toBe(TOTAL);
      expect(sns.report.groups.length + sns.report.groupsOmitted).toBe(TOTAL);
      expect(sent).toEqual(sns.report);
    });

    it('keeps the totals of the whole run', () => {
      expect(sent.totals).toEqual(built.totals);
      expect(sent.totals.scanned).toBe(TOTAL + 1_000);
    });

    it('lists every failed group, before any other group', () => {
      const listed = sent.groups.map((g) => g.logGroupName);
      const firstOther = sent.groups.findIndex((g) => g.outcome !== 'failed');

      expect(listed.slice(0, FAILURES).every((n) => failedNames.has(n))).toBe(true);
      expect(firstOther).toBe(FAILURES);
    });

    it('says in the text how many groups are omitted', () => {
      expect(envelope.default).toContain(`${sent.groupsOmitted} more groups are not listed`);
      expect(envelope.email).toBe(envelope.default);
    });
  });

  it('respects a smaller byte budget', () => {
    const outcomes = Array.from({ length: 500 }, (_, i) => remediated(`/aws/lambda/function-${i}`));

    const sns = renderSnsMessage(report({ outcomes }), 20_000);

    expect(Buffer.byteLength(sns.message)).toBeLessThanOrEqual(20_000);
    expect(sns.report.groups.length).toBeGreaterThan(0);
    expect(sns.report.groups.length + sns.report.groupsOmitted).toBe(500);
  });

  it('keeps the omitted count of a report that was already trimmed', () => {
    const trimmed = { ...report({ outcomes: [failed('/a')] }), groupsOmitted: 10 };

    const sns = renderSnsMessage(trimmed);

    expect(sns.report.groupsOmitted).toBe(10);
    expect(sns.report.groups).toHaveLength(1);
  });
});

describe('the key audit in the report', () => {
  const pending: KeyInUse = {
    arn: OLD_KEY,
    groups: 2,
    verdict: 'at-risk',
    state: 'PendingDeletion',
    deletionDate: '2026-12-10T00:00:00.000Z',
    groupsAtRisk: 2,
    problem: { code: 'KEY_PENDING_DELETION', message: 'scheduled for deletion' },
    fix: { commands: ['aws kms cancel-key-deletion --key-id x'], ifNothingIsDone: 'the logs are lost' },
  };
  const target: KeyInUse = { arn: KEY_ARN, groups: 1, verdict: 'target', state: 'Enabled' };

  it.each<[string, Partial<RunSummary>, ReportStatus]>([
    ['a group at risk', { outcomes: [atRisk('/r')] }, 'at-risk'],
    [
      'groups moved off an at-risk key',
      { outcomes: [reassociated('/r')], keysInUse: [target, pending] },
      'at-risk',
    ],
    ['a failure beside a group at risk', { outcomes: [atRisk('/r'), failed('/f')] }, 'failed'],
    ['a group on another key', { outcomes: [otherKey('/o')] }, 'findings'],
    ['a group whose key is unknown', { outcomes: [unverified('/u')] }, 'findings'],
    ['a would-be reassociation', { outcomes: [wouldReassociate('/w')] }, 'findings'],
    [
      'a reassociation off a healthy key',
      { outcomes: [reassociated('/r')], keysInUse: [target] },
      'remediated',
    ],
  ])('status: %s is %s', (_label, overrides, status) => {
    expect(reportStatus(report(overrides))).toBe(status);
  });

  it('leads the text with the keys at risk, naming the deletion date, the fix and what follows', () => {
    const text = renderText(report({ outcomes: [atRisk('/r')], keysInUse: [target, pending] }));
    const lead = text.indexOf('KEYS AT RISK (1):');
    expect(lead).toBeGreaterThan(-1);
    expect(lead).toBeLessThan(text.indexOf('Scanned '));
    expect(text).toContain(`${OLD_KEY} (PendingDeletion, to be deleted on 2026-12-10T00:00:00.000Z)`);
    expect(text).toContain('aws kms cancel-key-deletion --key-id x');
    expect(text).toContain('If nothing is done: the logs are lost');
  });

  it('names the key event that started the run', () => {
    const keyEvent = { eventName: 'DisableKey' as const, keyId: OLD_KEY, eventTime: '2026-12-03T10:00:00Z' };
    const built = report({ keyEvent });
    expect(built.keyEvent).toEqual(keyEvent);
    expect(renderText(built)).toContain(`Started by DisableKey on ${OLD_KEY} at 2026-12-03T10:00:00Z`);
  });

  it('keeps the key list within its budget, the target and at-risk keys first', () => {
    const healthy = Array.from({ length: 2_000 }, (_, i) => ({
      arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
      groups: 1,
      verdict: 'healthy' as const,
      state: 'Enabled',
    }));
    const built = report({ keysInUse: [...healthy, pending, target] });
    expect(JSON.stringify(built.keysInUse).length).toBeLessThanOrEqual(KEYS_IN_USE_MAX_BYTES);
    expect(built.keysInUse.slice(0, 2).map((k) => k.arn)).toEqual([KEY_ARN, OLD_KEY]);
    expect(built.keysInUseOmitted).toBe(2_002 - built.keysInUse.length);
    expect(built.keysInUseOmitted).toBeGreaterThan(0);
  });
});

describe('the pace in the report', () => {
  it.each([
    [undefined, undefined, null],
    [{ associateTpsReached: 0, throttles: 0 }, { associateTpsReached: 0, throttles: 0 }, null],
    [
      { associateTpsReached: 48.5, throttles: 3 },
      { associateTpsReached: 48.5, throttles: 3 },
      'Associations paced up to 48.5 per second; 3 calls throttled by AWS, retries included.',
    ],
    [
      { associateTpsReached: 0, throttles: 2 },
      { associateTpsReached: 0, throttles: 2 },
      'Associations not paced; 2 calls throttled by AWS, retries included.',
    ],
  ])('pace %p: the report carries %p and the text says %p', (pace, carried, line) => {
    const built = report(pace ? { pace } : {});

    expect(built.pace).toEqual(carried);
    const lines = renderText(built).split('\n');
    expect(lines.filter((l) => l.startsWith('Associations'))).toEqual(line ? [line] : []);
  });
});
