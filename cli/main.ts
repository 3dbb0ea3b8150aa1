/**
 * The CLI's entry point: `npm run cli -- <command>` (tsx), or the `logs-kms-remediator` bin
 * (dist/logs-kms-remediator.cjs, built by `npm run build:cli`).
 */
import { createIo } from './io';
import { runCli } from './program';

// A reader that stops early (`| head`) closes the pipe: that ends the output, not in a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

runCli(process.argv, createIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
