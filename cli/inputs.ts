/**
 * The flags, checked before any AWS call, with the very rules the function applies to its
 * environment and its events (loadConfig, parseEvent): a bad value is refused naming its flag.
 */
import { resolveDefaultRegion } from '../lib/aws/region';
import { type Config, type Env, loadConfig } from '../lib/core/config';
import { ConfigError, EventError } from '../lib/core/errors';
import { PREFIX_SHAPE, parseEvent, type RunRequest } from '../lib/core/event';

/** A flag is missing or wrong. Thrown before any AWS call. */
export class UsageError extends Error {
  constructor(
    readonly flag: string,
    problem: string,
  ) {
    super(`${flag}: ${problem}`);
    this.name = 'UsageError';
  }
}

/** The function's variables the flags stand for; the others (INCLUDE_PATTERNS, EXCLUDE_TAG…) are read as they are. */
const FLAG_OF_VARIABLE: Record<string, string> = {
  KMS_KEY_ID: '--key',
  AWS_REGION: '--region',
  AWS_DEFAULT_REGION: '--region',
};

const FLAG_OF_FIELD: Record<string, string> = {
  logGroupNamePrefix: '--prefix',
  maxRemediations: '--max',
};

/** The region: --region, else the SDK's own resolution (AWS_REGION, AWS_DEFAULT_REGION, the profile's). */
export async function resolveRegion(flag: string | undefined, env: Env): Promise<string> {
  const region = flag ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (await resolveDefaultRegion());
  if (!region) {
    throw new UsageError('--region', 'no region given: pass --region, or set AWS_REGION or a profile region');
  }
  return region;
}

/**
 * The function's configuration for this key and region; the rest from the environment, as the
 * function reads it. There is no report topic: the CLI prints the report instead of publishing it.
 */
export function buildConfig(key: string | undefined, region: string, env: Env): Readonly<Config> {
  const unusedTopic = 'arn:aws:sns:us-east-1:000000000000:logs-kms-remediator-cli-prints-its-report';
  try {
    return loadConfig({
      ...env,
      AWS_REGION: region,
      KMS_KEY_ID: key,
      REPORT_TOPIC_ARN: unusedTopic,
      // Overridden by each command; set so that stray values cannot stop a command that ignores them.
      DRY_RUN: 'true',
      REPORT_WHEN: 'always',
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const flag = FLAG_OF_VARIABLE[error.variable] ?? error.variable;
    const given = JSON.stringify(error.value ?? null);
    const problem = error.message.replace(`Invalid configuration: ${error.variable}=${given}: `, '');
    throw new UsageError(flag, error.value === undefined ? problem : `${given}: ${problem}`);
  }
}

/** What plan and apply ask the pipeline for, as a manual event would. */
export function buildRequest(options: { dryRun: boolean; prefix?: string; max?: string }): RunRequest {
  const { dryRun, prefix, max } = options;
  const event = {
    dryRun,
    ...(prefix !== undefined ? { logGroupNamePrefix: prefix } : {}),
    // Digits become a number for the event's own check; anything else goes as it is and is refused.
    ...(max !== undefined ? { maxRemediations: /^\d+$/.test(max) ? Number(max) : max } : {}),
  };
  try {
    return parseEvent(event);
  } catch (error) {
    if (!(error instanceof EventError)) throw error;
    const flag = FLAG_OF_FIELD[error.field] ?? error.field;
    throw new UsageError(flag, error.message.replace(`Invalid event: ${error.field}: `, ''));
  }
}

/** Log group names, as DescribeLogGroups takes them. */
export function checkGroupNames(names: readonly string[]): string[] {
  for (const name of names) {
    if (!PREFIX_SHAPE.test(name)) {
      throw new UsageError(
        '--group',
        `${JSON.stringify(name)}: expected a log group name of 1 to 512 characters of [.-_/#A-Za-z0-9]`,
      );
    }
  }
  return [...names];
}
