/**
 * `serverless package`, for tests: each variant in its own copy of the working tree (osls
 * builds in ./.serverless and serverless-esbuild in ./.esbuild, so two packagings of one tree
 * would trample each other, and the tree itself stays untouched), all variants of a file
 * concurrently, once per file.
 *
 *   const stacks = usePackagedStacks({ created: {}, keyArn: { params: { kmsKeyId: KEY_ARN } } });
 *   it('...', () => { stacks.created.template ... });
 *
 * Packaging calls no AWS API and needs no credentials.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from './cfn-stack';

export const ROOT = join(__dirname, '..', '..');
export const PACKAGE_TIMEOUT_MS = 120_000;

export interface PackageOptions {
  stage?: string;
  region?: string;
  /** osls params, passed as --param="name=value". */
  params?: Record<string, string>;
}

export interface PackagedStack {
  /** The directory osls packaged into (--package). */
  dir: string;
  templatePath: string;
  template: Template;
  /** The remediator's zip. */
  zipPath: string;
  zip: Buffer;
  /** The findings function's zip (package.individually: one zip per function). */
  findingsZip: Buffer;
}

const execFileAsync = promisify(execFile);

/** Not copied into the packaging tree: dependencies (linked instead), build output, VCS. */
const SKIP = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'coverage', '.demo', 'dist']);

/** Package the service in a fresh copy of the tree under `workRoot`. */
export async function packageStack(workRoot: string, label: string, options: PackageOptions = {}) {
  const work = mkdtempSync(join(workRoot, `${label}-`));
  const service = join(work, 'service');
  for (const entry of readdirSync(ROOT)) {
    if (!SKIP.has(entry)) cpSync(join(ROOT, entry), join(service, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(service, 'node_modules'), 'dir');

  // The fake keys (and no profile, no endpoint) make sure real credentials are never used.
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_')) env[name] = value;
  }
  const region = options.region ?? 'us-east-1';
  Object.assign(env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: region });

  const dir = join(work, 'package');
  const args = ['--no', 'serverless', 'package', '--stage', options.stage ?? 'dev', '--region', region];
  args.push('--package', dir);
  for (const [name, value] of Object.entries(options.params ?? {})) args.push(`--param=${name}=${value}`);
  try {
    await execFileAsync('npx', args, {
      cwd: service,
      env,
      timeout: PACKAGE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`serverless package (${label}) failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  const zipPath = join(dir, 'remediate.zip');
  return {
    dir,
    templatePath,
    template: JSON.parse(readFileSync(templatePath, 'utf8')) as Template,
    zipPath,
    zip: readFileSync(zipPath),
    findingsZip: readFileSync(join(dir, 'importFindings.zip')),
  } satisfies PackagedStack;
}

/**
 * Register beforeAll/afterAll for this file: package every variant once, concurrently; remove
 * the copies at the end. The returned object is filled in before the tests run.
 */
export function usePackagedStacks<V extends string>(
  variants: Record<V, PackageOptions>,
): Record<V, PackagedStack> {
  const packaged = {} as Record<V, PackagedStack>;
  let workRoot: string | undefined;
  beforeAll(async () => {
    workRoot = mkdtempSync(join(tmpdir(), 'lkr-package-'));
    const root = workRoot;
    await Promise.all(
      (Object.entries(variants) as [V, PackageOptions][]).map(async ([variant, options]) => {
        packaged[variant] = await packageStack(root, variant, options);
      }),
    );
  }, PACKAGE_TIMEOUT_MS);
  afterAll(() => {
    if (workRoot) rmSync(workRoot, { recursive: true, force: true });
  });
  return packaged;
}
