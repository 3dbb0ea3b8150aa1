/** The CLI's own pure parts: flags named in errors, colour rules, the progress line. */
import { buildConfig, buildRequest, checkGroupNames, UsageError } from '../../cli/inputs';
import { colourAllowed } from '../../cli/io';
import { formatLine, formatSeconds } from '../../cli/progress';

const flagOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error.flag;
    throw error;
  }
  return undefined;
};

describe('the flags', () => {
  it.each<[string, () => unknown, string | undefined]>([
    ['a good key and region', () => buildConfig('alias/logs', 'eu-west-1', {}), undefined],
    ['no key', () => buildConfig(undefined, 'eu-west-1', {}), '--key'],
    ['a key that is no key', () => buildConfig('my-key', 'eu-west-1', {}), '--key'],
    ['an AWS-managed key', () => buildConfig('alias/aws/logs', 'eu-west-1', {}), '--key'],
    ['a bad region', () => buildConfig('alias/logs', 'europe', {}), '--region'],
    [
      'a bad function variable',
      () => buildConfig('alias/logs', 'eu-west-1', { ASSOCIATE_TPS: 'fast' }),
      'ASSOCIATE_TPS',
    ],
    ['a plan', () => buildRequest({ dryRun: true, prefix: '/aws/lambda/' }), undefined],
    ['a bad prefix', () => buildRequest({ dryRun: true, prefix: 'no spaces' }), '--prefix'],
    ['--max 0', () => buildRequest({ dryRun: false, max: '0' }), '--max'],
    ['--max 1.5', () => buildRequest({ dryRun: false, max: '1.5' }), '--max'],
    ['--max ten', () => buildRequest({ dryRun: false, max: 'ten' }), '--max'],
    ['a group name', () => checkGroupNames(['/aws/rds/instance/db/error']), undefined],
    ['a bad group name', () => checkGroupNames(['/ok', 'not ok']), '--group'],
  ])('%s', (_case, run, flag) => {
    expect(flagOf(run)).toBe(flag);
  });

  it('ignores the function variables the CLI sets itself (DRY_RUN, REPORT_WHEN, the topic)', () => {
    const config = buildConfig('alias/logs', 'eu-west-1', { DRY_RUN: 'maybe', REPORT_WHEN: 'sometimes' });
    expect(config).toMatchObject({ kmsKeyId: 'alias/logs', region: 'eu-west-1' });
  });

  it('turns --max into the request’s maxRemediations and a plan into a dry run', () => {
    expect(buildRequest({ dryRun: false, max: '25', prefix: '/app/' })).toMatchObject({
      dryRun: false,
      maxRemediations: 25,
      logGroupNamePrefix: '/app/',
    });
    expect(buildRequest({ dryRun: true })).toMatchObject({ dryRun: true });
  });
});

describe('colour', () => {
  it.each([
    [{}, true],
    [{ NO_COLOR: '1' }, false],
    // no-color.org: set and not empty.
    [{ NO_COLOR: '' }, true],
    [{ TERM: 'dumb' }, false],
  ])('with %j: %s', (env, allowed) => {
    expect(colourAllowed(env)).toBe(allowed);
  });
});

describe('the progress line', () => {
  const payload = { scanned: 120, decided: 100, changed: 7, changedLabel: 'changed', rate: 50, eta: 30 };

  it.each([
    [undefined, '?'],
    [Number.POSITIVE_INFINITY, '?'],
    [42.4, '42s'],
    [125, '2m05s'],
    [3 * 3600 + 7 * 60, '3h07m'],
  ])('formats %s seconds as %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('shows the counts, the rate and the ETA with a bar when the size is known', () => {
    expect(formatLine({ value: 100, total: 400 }, payload, true)).toBe(
      '██████░░░░░░░░░░░░░░░░░░ 25% | scanned 120 | decided 100 | changed 7 | 50.0 groups/s | ETA 30s',
    );
  });

  it('says the ETA is unknown on a first scan', () => {
    expect(formatLine({ value: 100, total: 0 }, { ...payload, eta: undefined }, false)).toBe(
      'scanned 120 | decided 100 | changed 7 | 50.0 groups/s | ETA unknown (first scan)',
    );
  });
});
