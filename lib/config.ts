/**
 * Configuration from environment variables, parsed once at cold start.
 * `loadConfig` is pure: give it any env object, get a frozen Config or a ConfigError
 * that names the variable and the value.
 */
import { ConfigError } from './errors';
import type { ReportMode } from './types';

export interface ExcludeTag {
  key: string;
  /** When absent, any value of the tag excludes the group. */
  value?: string;
}

export interface Config {
  /** The function's region; groups and key must be here. */
  region: string;
  /** The key as configured: key ARN, key id, alias name or alias ARN. */
  kmsKeyId: string;
  reportTopicArn: string;
  dryRun: boolean;
  includePatterns: readonly string[];
  excludePatterns: readonly string[];
  excludeTag?: ExcludeTag;
  reportWhen: ReportMode;
  /** SDK attempts per call (first try included), adaptive retry mode. */
  maxAttempts: number;
  /** How many AssociateKmsKey calls may be in flight at once. */
  associateConcurrency: number;
  /** DescribeLogGroups calls per second at most (AWS's quota is 5 per account and region); 0: unpaced. */
  describeLogGroupsTps: number;
  /** AssociateKmsKey calls per second at most; 0: unpaced. */
  associateTps: number;
  /** How long a warm container trusts what KMS said about the key, for new-group events. */
  keyCacheSeconds: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MRK_ID = /^mrk-[0-9a-f]{32}$/i;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(.+)$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const ALIAS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:alias\/[a-zA-Z0-9/_-]+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

/** Read and validate the configuration. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Readonly<Config> {
  const excludeTag = parseExcludeTag(env.EXCLUDE_TAG);
  return Object.freeze({
    region: parseRegion(env),
    kmsKeyId: parseKmsKeyId(env.KMS_KEY_ID),
    reportTopicArn: parseRequired('REPORT_TOPIC_ARN', env.REPORT_TOPIC_ARN, TOPIC_ARN, 'an SNS topic ARN'),
    dryRun: parseBoolean('DRY_RUN', env.DRY_RUN, false),
    includePatterns: Object.freeze(parsePatterns('INCLUDE_PATTERNS', env.INCLUDE_PATTERNS)),
    excludePatterns: Object.freeze(parsePatterns('EXCLUDE_PATTERNS', env.EXCLUDE_PATTERNS)),
    ...(excludeTag ? { excludeTag } : {}),
    reportWhen: parseReportWhen(env.REPORT_WHEN),
    maxAttempts: parseInteger('MAX_ATTEMPTS', env.MAX_ATTEMPTS, 8, 1, 20),
    associateConcurrency: parseInteger('ASSOCIATE_CONCURRENCY', env.ASSOCIATE_CONCURRENCY, 4, 1, 32),
    describeLogGroupsTps: parseInteger('DESCRIBE_LOG_GROUPS_TPS', env.DESCRIBE_LOG_GROUPS_TPS, 5, 0, 100),
    // AWS publishes no quota for AssociateKmsKey; 5 per second is that of its sibling control-plane calls.
    associateTps: parseInteger('ASSOCIATE_TPS', env.ASSOCIATE_TPS, 5, 0, 100),
    keyCacheSeconds: parseInteger('KEY_CACHE_SECONDS', env.KEY_CACHE_SECONDS, 300, 0, 3600),
  });
}

/** Treat unset and blank the same: serverless passes '' for an empty parameter. */
function optional(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parseRegion(env: Env): string {
  // Lambda always sets AWS_REGION; AWS_DEFAULT_REGION is the CLI's name for it, handy locally.
  const variable =
    env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION !== undefined
      ? 'AWS_DEFAULT_REGION'
      : 'AWS_REGION';
  return parseRequired(variable, env[variable], REGION, 'an AWS region such as us-east-1');
}

function parseRequired(variable: string, raw: string | undefined, shape: RegExp, expected: string): string {
  const value = optional(raw);
  if (value === undefined) throw new ConfigError(variable, raw, `required; expected ${expected}`);
  if (!shape.test(value)) throw new ConfigError(variable, raw, `expected ${expected}`);
  return value;
}

function parseKmsKeyId(raw: string | undefined): string {
  const value = optional(raw);
  const expected = 'a key ARN, a key id, an alias name (alias/x) or an alias ARN';
  if (value === undefined) throw new ConfigError('KMS_KEY_ID', raw, `required; expected ${expected}`);
  if (/(^|:)alias\/aws\//.test(value)) {
    throw new ConfigError('KMS_KEY_ID', raw, 'AWS-managed keys (alias/aws/...) cannot encrypt log groups');
  }
  const keyArn = KEY_ARN.exec(value);
  const valid =
    (keyArn !== null && (KEY_ID.test(keyArn[1] ?? '') || MRK_ID.test(keyArn[1] ?? ''))) ||
    KEY_ID.test(value) ||
    MRK_ID.test(value) ||
    ALIAS_NAME.test(value) ||
    ALIAS_ARN.test(value);
  if (!valid) throw new ConfigError('KMS_KEY_ID', raw, `expected ${expected}`);
  return value;
}

function parseBoolean(variable: string, raw: string | undefined, fallback: boolean): boolean {
  const value = optional(raw);
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(variable, raw, 'expected true or false');
}

function parseInteger(
  variable: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = optional(raw);
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(variable, raw, `expected a whole number from ${min} to ${max}`);
  }
  return parsed;
}

function parsePatterns(variable: string, raw: string | undefined): string[] {
  const value = optional(raw);
  if (value === undefined) return [];
  const patterns = value.split(',').map((p) => p.trim());
  const bad = patterns.find((p) => p === '' || p.length > 512 || /\s/.test(p));
  if (bad !== undefined) {
    throw new ConfigError(
      variable,
      raw,
      'expected comma-separated glob patterns, none empty or containing spaces',
    );
  }
  return patterns;
}

function parseExcludeTag(raw: string | undefined): ExcludeTag | undefined {
  const value = optional(raw);
  if (value === undefined) return undefined;
  const eq = value.indexOf('=');
  const key = (eq === -1 ? value : value.slice(0, eq)).trim();
  const tagValue = eq === -1 ? undefined : value.slice(eq + 1).trim();
  if (!TAG_KEY.test(key) || key.startsWith('aws:') || (tagValue !== undefined && tagValue.length > 256)) {
    throw new ConfigError('EXCLUDE_TAG', raw, 'expected a tag key, or key=value');
  }
  return Object.freeze(tagValue === undefined ? { key } : { key, value: tagValue });
}

function parseReportWhen(raw: string | undefined): ReportMode {
  const value = optional(raw);
  if (value === undefined) return 'findings';
  if (value === 'always' || value === 'findings') return value;
  throw new ConfigError('REPORT_WHEN', raw, 'expected always or findings');
}
