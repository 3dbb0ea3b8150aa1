/**
 * The layout is the architecture: pure decisions in lib/core, the run's flow in lib/run, the SDK
 * only in lib/aws. These checks read the sources, so a stray import fails here, not in review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LIB = join(__dirname, '..', '..', 'lib');
const sources = (folder: string) =>
  readdirSync(join(LIB, folder))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [`lib/${folder}/${f}`, readFileSync(join(LIB, folder, f), 'utf8')] as const);
const importsOf = (text: string) => [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1] ?? '');

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
});
