/**
 * The commands and their flags (commander). Each action checks its flags, builds the session once
 * and runs its command; a bad flag is refused, naming it, before any AWS call.
 */
import { Command, CommanderError, Option } from 'commander';
import { checkKey } from './check-key';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { fixKeyPolicy } from './fix-key-policy';
import { buildConfig, buildRequest, checkGroupNames, resolveRegion, UsageError } from './inputs';
import type { Io } from './io';
import { runPlanOrApply } from './run';
import { openSession, type Session } from './session';

const NAME = 'logs-kms-remediator';

interface CommonFlags {
  key?: string;
  region?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Parse `argv` (as process.argv: node, script, arguments…), run the command, and return its exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command(NAME)
    .description(
      'Keep every CloudWatch Logs log group encrypted with a customer-managed KMS key, from a laptop.',
    )
    .exitOverride()
    .showHelpAfterError(`(run ${NAME} <command> --help for its flags)`)
    .configureOutput({
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(io.colour.red(text)),
    });
  const act: Act = (run) => async (flags) => {
    code = await guarded(io, () => run(flags));
  };
  defineCheckKey(program, io, act);
  defineFixKeyPolicy(program, io, act);
  definePlan(program, io, act);
  defineApply(program, io, act);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
      ? EXIT.ok
      : EXIT.usage;
  }
  return code;
}

type Act = <F>(run: (flags: F) => Promise<number>) => (flags: F) => Promise<void>;

function withCommon(command: Command, keyRequired: boolean): Command {
  const key = new Option('--key <key>', 'the key: key id, key ARN, alias name (alias/x) or alias ARN');
  return command
    .addOption(keyRequired ? key : key.env('KMS_KEY_ID'))
    .option(
      '--region <region>',
      'the region of the key and the log groups (default: AWS_REGION or the profile)',
    )
    .option('--json', 'print the result as JSON on stdout (text and progress go to stderr)')
    .option('--verbose', "print the function's log lines on stderr");
}

function defineCheckKey(program: Command, io: Io, act: Act): void {
  withCommon(program.command('check-key'), true)
    .description(
      'Check that CloudWatch Logs may use the key: state, spec, usage, manager, region, rotation, key policy.',
    )
    .option('--group <name>', 'judge the key policy for this log group (repeatable)', collect, [] as string[])
    .addHelpText(
      'after',
      `\nExample:\n  $ ${NAME} check-key --key alias/logs --region eu-west-1 --group /aws/lambda/orders\n${EXIT_CODES_HELP}`,
    )
    .action(
      act(async (flags: CommonFlags & { group: string[] }) => {
        const groups = checkGroupNames(flags.group);
        const session = await start(flags, io);
        return checkKey(session, io, { groups, json: flags.json === true });
      }),
    );
}

function defineFixKeyPolicy(program: Command, io: Io, act: Act): void {
  withCommon(program.command('fix-key-policy'), true)
    .description(
      'Add the CloudWatch Logs statement to the key policy: shows the diff, asks, then puts and re-checks it.',
    )
    .option('--yes', 'make the change without asking (required when there is no terminal)')
    .addHelpText(
      'after',
      `\nExample:\n  $ ${NAME} fix-key-policy --key alias/logs --region eu-west-1\n${EXIT_CODES_HELP}`,
    )
    .action(
      act(async (flags: CommonFlags & { yes?: boolean }) => {
        const session = await start(flags, io);
        return fixKeyPolicy(session, io, { yes: flags.yes === true, json: flags.json === true });
      }),
    );
}

function definePlan(program: Command, io: Io, act: Act): void {
  withCommon(program.command('plan'), false)
    .description(
      'A dry run of the whole account (or a prefix): the report of what apply would do. Changes nothing.',
    )
    .option('--prefix <prefix>', 'only the log groups whose name starts with this')
    .addHelpText(
      'after',
      `\nExample:\n  $ ${NAME} plan --key alias/logs --region eu-west-1 --prefix /aws/lambda/\n${EXIT_CODES_HELP}`,
    )
    .action(
      act(async (flags: CommonFlags & { prefix?: string }) => {
        const request = buildRequest({ dryRun: true, ...optional('prefix', flags.prefix) });
        const session = await start(flags, io);
        return runPlanOrApply(session, io, {
          request,
          yes: true,
          json: flags.json === true,
          progress: showProgress(io, flags),
        });
      }),
    );
}

function defineApply(program: Command, io: Io, act: Act): void {
  withCommon(program.command('apply'), false)
    .description('Encrypt the unencrypted log groups with the key, after a confirmation (or --yes).')
    .option('--prefix <prefix>', 'only the log groups whose name starts with this')
    .option('--max <n>', 'associate the key with at most this many groups')
    .option('--yes', 'run without asking (required when there is no terminal)')
    .addHelpText(
      'after',
      `\nExample:\n  $ ${NAME} apply --key alias/logs --region eu-west-1 --max 100 --yes\n${EXIT_CODES_HELP}`,
    )
    .action(
      act(async (flags: CommonFlags & { prefix?: string; max?: string; yes?: boolean }) => {
        const request = buildRequest({
          dryRun: false,
          ...optional('prefix', flags.prefix),
          ...optional('max', flags.max),
        });
        const session = await start(flags, io);
        const options = {
          request,
          yes: flags.yes === true,
          json: flags.json === true,
          progress: showProgress(io, flags),
        };
        return runPlanOrApply(session, io, options);
      }),
    );
}

/** Every flag checked, then the clients built: nothing is called before the flags are known good. */
async function start(flags: CommonFlags, io: Io): Promise<Session> {
  const region = await resolveRegion(flags.region, io.env);
  const config = buildConfig(flags.key, region, io.env);
  return openSession(config, io, flags.verbose === true);
}

function showProgress(io: Io, flags: CommonFlags): boolean {
  return io.stderrIsTerminal && flags.json !== true && flags.verbose !== true;
}

/** A bad flag exits 2 naming it; any other failure exits 1 with its message. */
async function guarded(io: Io, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UsageError) {
      io.say(io.colour.red(`error: option '${error.flag}': ${error.message.slice(error.flag.length + 2)}`));
      return EXIT.usage;
    }
    io.say(io.colour.red(`error: ${error instanceof Error ? error.message : String(error)}`));
    return EXIT.problems;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}
