/**
 * The CLI's entry point: `npm run cli -- <command>` (tsx), or the `logs-kms-remediator` bin
 * (dist/logs-kms-remediator.cjs, built by `npm run build:cli`).
 */
import { createIo } from './io';
import { runCli } from './program';

runCli(process.argv, createIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
