/**
 * Name patterns for INCLUDE_PATTERNS / EXCLUDE_PATTERNS. `*` matches any run of characters,
 * `/` included (log group names are paths, and `/aws/rds/*` should reach every RDS group).
 * Every other character is literal.
 */

/** Compile a glob into an anchored RegExp. */
export function compileGlob(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

/** A set of compiled globs; `matches` is true when any of them matches. */
export interface PatternSet {
  readonly patterns: readonly string[];
  matches(name: string): boolean;
}

export function createPatternSet(patterns: readonly string[]): PatternSet {
  const compiled = patterns.map(compileGlob);
  return {
    patterns,
    matches: (name) => compiled.some((re) => re.test(name)),
  };
}
