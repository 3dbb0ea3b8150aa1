/**
 * Runs cfn-lint (pip install cfn-lint) on a template file, with every rule: nothing is
 * suppressed, here or in the templates.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface LintResult {
  /** 0 when clean; cfn-lint's bit mask otherwise (2 errors, 4 warnings, 8 informational). */
  exitCode: number;
  output: string;
}

export async function cfnLint(templatePath: string): Promise<LintResult> {
  try {
    const { stdout, stderr } = await execFileAsync('cfn-lint', ['--', templatePath], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { exitCode: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number | string; stdout?: string; stderr?: string };
    if (code === 'ENOENT')
      throw new Error('cfn-lint not found on PATH; install it with: pip install cfn-lint');
    return { exitCode: typeof code === 'number' ? code : -1, output: `${stdout ?? ''}${stderr ?? ''}` };
  }
}
