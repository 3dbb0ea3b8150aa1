import { compileGlob, createPatternSet } from '../../lib/core/patterns';

describe('compileGlob', () => {
  it.each([
    ['/aws/rds/*', '/aws/rds/instance/db-1/postgresql'],
    ['/aws/rds/*', '/aws/rds/'],
    ['*', ''],
    ['*', '/any/deep/path'],
    ['*/lambda/*', '/aws/lambda/fn'],
    ['/aws/*/prod', '/aws/lambda/team/prod'],
    ['/aws/**', '/aws/lambda/fn'],
    ['a*b*c', 'abc'],
    ['a*b*c', 'a/x/b/y/c'],
    ['/app/*', '/app/line\nbreak'],
  ])('%p matches %p (* matches any run of characters, / and nothing included)', (pattern, name) => {
    expect(compileGlob(pattern).test(name)).toBe(true);
  });

  it.each([
    ['/aws/rds/*', '/aws/rd/x'],
    ['/aws/rds/*', '/aws/rds'],
    ['a*b*c', 'acb'],
    ['/aws/*/prod', '/aws/lambda/production'],
  ])('%p does not match %p', (pattern, name) => {
    expect(compileGlob(pattern).test(name)).toBe(false);
  });

  it.each([
    ['.', 'app.log', 'appxlog'],
    ['+', 'a+b', 'aab'],
    ['(', '/svc(v2)', '/svcv2'],
    ['[', '/svc[1]', '/svc1'],
    ['?', '/svc?', '/svc'],
    ['?', 'a?c', 'abc'],
    ['$', 'cost$', 'cost'],
    ['^', 'a^b', 'ab'],
    ['|', 'a|b', 'a'],
    ['{', 'a{2}', 'aa'],
    ['\\', 'a\\d', 'a1'],
  ])('treats %p as a literal character', (_char, pattern, lookalike) => {
    // Prepare
    const glob = compileGlob(pattern);

    // Act / Assess: the pattern matches itself, and not what the regex reading would match.
    expect(glob.test(pattern)).toBe(true);
    expect(glob.test(lookalike)).toBe(false);
  });

  it.each([
    ['/aws/lambda/fn', 'x/aws/lambda/fn'],
    ['/aws/lambda/fn', '/aws/lambda/fn2'],
    ['/aws/lambda/fn', '/aws/lambda/fn\n'],
    ['/aws/*', '/other/aws/x'],
    ['*/fn', '/aws/fn/x'],
  ])('anchors %p at both ends: it does not match %p', (pattern, name) => {
    expect(compileGlob(pattern).test(name)).toBe(false);
  });

  it('matches a pattern without * only to the identical name', () => {
    const glob = compileGlob('/aws/lambda/fn');

    expect(glob.test('/aws/lambda/fn')).toBe(true);
    expect(glob.test('/aws/lambda/FN')).toBe(false);
  });

  it('matches the empty pattern only to the empty name', () => {
    const glob = compileGlob('');

    expect(glob.test('')).toBe(true);
    expect(glob.test('a')).toBe(false);
  });

  it('returns a regex without the g flag, so repeated tests give the same answer', () => {
    const glob = compileGlob('/aws/*');

    expect([glob.test('/aws/x'), glob.test('/aws/x'), glob.test('/aws/x')]).toEqual([true, true, true]);
  });
});

describe('createPatternSet', () => {
  it.each(['', '/aws/lambda/fn', '*', 'anything'])(
    'with no patterns matches nothing, not even %p',
    (name) => {
      expect(createPatternSet([]).matches(name)).toBe(false);
    },
  );

  it.each([
    ['/aws/lambda/fn', true],
    ['/aws/rds/instance/db/error', true],
    ['/ecs/app', true],
    ['/ecs/app/2', false],
    ['/aws/apigateway/x', false],
  ])('with several patterns matches %p when any pattern does: %p', (name, expected) => {
    const set = createPatternSet(['/aws/lambda/*', '/aws/rds/*', '/ecs/app']);

    expect(set.matches(name)).toBe(expected);
  });

  it('exposes the patterns it was built from', () => {
    const patterns = ['/aws/lambda/*', '/ecs/app'];

    expect(createPatternSet(patterns).patterns).toEqual(patterns);
  });
});
