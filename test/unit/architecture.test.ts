/**
 * The layout is the architecture: pure decisions in lib/core, the run's flow in lib/run, the SDK
 * only in lib/aws. These checks read the sources, so a stray import fails here, not in review.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const LIB = join(__dirname, '..', '..', 'lib');
const sources = (folder: string) =>
  readdirSync(join(LIB, folder))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [`lib/${folder}/${f}`, readFileSync(join(LIB, folder, f), 'utf8')] as const);
const importsOf = (text: string) => [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1] ?? '');
const ROOT = join(__dirname, '..', '..');

/** Every project file `entry` imports, directly or not, relative to the repository. */
function reachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    const name = relative(ROOT, file);
    if (seen.has(name)) return;
    seen.add(name);
    for (const spec of importsOf(readFileSync(file, 'utf8')).filter((m) => m.startsWith('.'))) {
      const target = resolve(dirname(file), spec);
      visit(existsSync(`${target}.ts`) ? `${target}.ts` : join(target, 'index.ts'));
    }
  };
  visit(join(ROOT, entry));
  return seen;
}

describe('the layout', () => {
  it('has no flat modules left beside the three folders', () => {
    expect(readdirSync(LIB).sort()).toEqual(['aws', 'core', 'run']);
  });

  it.each(sources('core'))(
    'keeps %s pure: no SDK, no Node I/O, no clock, nothing from run or aws',
    (_file, text) => {
      const imports = importsOf(text);
      expect(imports.filter((m) => m.startsWith('@aws-sdk') || m.startsWith('node:'))).toEqual([]);
      expect(imports.filter((m) => m.startsWith('../'))).toEqual([]);
      expect(text).not.toMatch(
        /\bDate\.now\(|new Date\(\)|\bperformance\.now\(|\bprocess\.env\b|\bsetTimeout\(/,
      );
    },
  );

  it.each(sources('run'))('keeps the SDK out of %s: it works through the ports', (_file, text) => {
    expect(importsOf(text).filter((m) => m.startsWith('@aws-sdk') || m.startsWith('../aws'))).toEqual([]);
  });

  it("keeps the operator CLI and its PutKeyPolicy adapter out of the function's code", () => {
    const bundled = [...reachableFrom('handlers/remediate.ts')];
    expect(bundled).toContain('lib/run/pipeline.ts');
    expect(bundled.filter((f) => f.startsWith('cli/') || f === 'lib/aws/key-policy-writer.ts')).toEqual([]);
  });

  it.each(
    readdirSync(join(ROOT, 'cli'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [`cli/${f}`, readFileSync(join(ROOT, 'cli', f), 'utf8')] as const),
  )('keeps %s a front door: no SDK of its own, it goes through lib/aws', (_file, text) => {
    expect(importsOf(text).filter((m) => m.startsWith('@aws-sdk'))).toEqual([]);
  });
});
