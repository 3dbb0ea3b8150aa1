/**
 * Configuration from environment variables, parsed once at cold start.
 * `loadConfig` is pure: give it any env object, get a frozen Config or a ConfigError
 * that names the variable and the value. Each variable is declared once, as a schema.
 */
import * as v from 'valibot';
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
  /** AssociateKmsKey calls per second to start at; the pace adapts from there. 0: unpaced. */
  associateTps: number;
  /** The most AssociateKmsKey calls per second the adaptive pace may reach. */
  associateTpsMax: number;
  /** How long a warm container trusts what KMS said about the key, for new-group events. */
  keyCacheSeconds: number;
  /** Audit the keys that encrypted groups already use (KEY_AUDIT=on). */
  keyAudit: boolean;
  /** A group on a healthy key that is not the target: compliant, reported, or moved to the target key. */
  otherKeys: OtherKeysMode;
  /** A group on an at-risk key: reported, or moved to the target key. */
  unhealthyKeys: UnhealthyKeysMode;
  /** Send findings to Security Hub, through FindingsTopic and the findings function (SECURITY_HUB=on). */
  securityHub: boolean;
  /** The topic the findings function reads; required when securityHub is on. */
  findingsTopicArn?: string;
}

export type OtherKeysMode = 'allow' | 'report' | 'reassociate';
export type UnhealthyKeysMode = 'report' | 'reassociate';

export type Env = Readonly<Record<string, string | undefined>>;

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MRK_ID = /^mrk-[0-9a-f]{32}$/i;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(.+)$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const ALIAS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:alias\/[a-zA-Z0-9/_-]+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

// ---- Each variable as a schema: unset and blank mean the default (serverless passes '' for an empty parameter). ----

const text = v.pipe(
  v.optional(v.string()),
  v.transform((raw) => (raw?.trim() ? raw.trim() : undefined)),
);

const required = (shape: RegExp, what: string) =>
  v.pipe(text, v.string(`required; expected ${what}`), v.regex(shape, `expected ${what}`));

const flag = (fallback: boolean) =>
  v.pipe(
    text,
    v.optional(v.picklist(['true', 'false'], 'expected true or false'), fallback ? 'true' : 'false'),
    v.transform((value) => value === 'true'),
  );

const wholeNumber = (fallback: number, min: number, max: number) => {
  const problem = `expected a whole number from ${min} to ${max}`;
  return v.pipe(
    text,
    v.optional(v.pipe(v.string(), v.regex(/^\d+$/, problem)), String(fallback)),
    v.transform(Number),
    v.safeInteger(problem),
    v.minValue(min, problem),
    v.maxValue(max, problem),
  );
};

const KEY_EXPECTED = 'a key ARN, a key id, an alias name (alias/x) or an alias ARN';
const kmsKeyId = v.pipe(
  text,
  v.string(`required; expected ${KEY_EXPECTED}`),
  v.check(
    (value) => !/(^|:)alias\/aws\//.test(value),
    'AWS-managed keys (alias/aws/...) cannot encrypt log groups',
  ),
  v.check(isKeyReference, `expected ${KEY_EXPECTED}`),
);

const patterns = v.pipe(
  text,
  v.transform((value) => (value === undefined ? [] : value.split(',').map((p) => p.trim()))),
  v.check(
    (list) => list.every((p) => p !== '' && p.length <= 512 && !/\s/.test(p)),
    'expected comma-separated glob patterns, none empty or containing spaces',
  ),
  v.transform((list) => Object.freeze(list)),
);

const excludeTag = v.pipe(
  text,
  v.transform((value): ExcludeTag | undefined => {
    if (value === undefined) return undefined;
    const eq = value.indexOf('=');
    const key = (eq === -1 ? value : value.slice(0, eq)).trim();
    return eq === -1 ? { key } : { key, value: value.slice(eq + 1).trim() };
  }),
  v.check(
    (tag) =>
      tag === undefined ||
      (TAG_KEY.test(tag.key) && !tag.key.startsWith('aws:') && (tag.value ?? '').length <= 256),
    'expected a tag key, or key=value',
  ),
);

const reportWhen = v.pipe(
  text,
  v.optional(v.picklist(['always', 'findings'], 'expected always or findings'), 'findings'),
);

const choice = <const T extends readonly [string, ...string[]]>(options: T, fallback: T[number]) =>
  v.pipe(text, v.optional(v.picklist(options, `expected ${options.join(', ')}`), fallback));

/** Every setting but the region: the variable it is read from, and its schema. */
const SETTINGS = {
  kmsKeyId: ['KMS_KEY_ID', kmsKeyId],
  reportTopicArn: ['REPORT_TOPIC_ARN', required(TOPIC_ARN, 'an SNS topic ARN')],
  dryRun: ['DRY_RUN', flag(false)],
  includePatterns: ['INCLUDE_PATTERNS', patterns],
  excludePatterns: ['EXCLUDE_PATTERNS', patterns],
  excludeTag: ['EXCLUDE_TAG', excludeTag],
  reportWhen: ['REPORT_WHEN', reportWhen],
  maxAttempts: ['MAX_ATTEMPTS', wholeNumber(8, 1, 20)],
  associateConcurrency: ['ASSOCIATE_CONCURRENCY', wholeNumber(4, 1, 32)],
  describeLogGroupsTps: ['DESCRIBE_LOG_GROUPS_TPS', wholeNumber(5, 0, 100)],
  // AWS publishes no quota for AssociateKmsKey; 5 per second is that of its sibling control-plane calls.
  associateTps: ['ASSOCIATE_TPS', wholeNumber(5, 0, 100)],
  associateTpsMax: ['ASSOCIATE_TPS_MAX', wholeNumber(50, 1, 1000)],
  keyCacheSeconds: ['KEY_CACHE_SECONDS', wholeNumber(300, 0, 3600)],
  keyAudit: [
    'KEY_AUDIT',
    v.pipe(
      choice(['on', 'off'], 'on'),
      v.transform((value) => value === 'on'),
    ),
  ],
  otherKeys: ['OTHER_KEYS', choice(['allow', 'report', 'reassociate'], 'allow')],
  unhealthyKeys: ['UNHEALTHY_KEYS', choice(['report', 'reassociate'], 'report')],
  securityHub: [
    'SECURITY_HUB',
    v.pipe(
      choice(['on', 'off'], 'off'),
      v.transform((value) => value === 'on'),
    ),
  ],
  findingsTopicArn: [
    'FINDINGS_TOPIC_ARN',
    v.pipe(text, v.optional(v.pipe(v.string(), v.regex(TOPIC_ARN, 'expected an SNS topic ARN')))),
  ],
} as const satisfies Record<
  Exclude<keyof Config, 'region'>,
  readonly [string, v.GenericSchema<string | undefined, unknown>]
>;

type Settings = { -readonly [K in keyof typeof SETTINGS]: v.InferOutput<(typeof SETTINGS)[K][1]> };

/** Read and validate the configuration. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Readonly<Config> {
  // Lambda always sets AWS_REGION; AWS_DEFAULT_REGION is the CLI's name for it, handy locally.
  const regionVariable =
    env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION !== undefined
      ? 'AWS_DEFAULT_REGION'
      : 'AWS_REGION';
  const region = readSetting(env, regionVariable, required(REGION, 'an AWS region such as us-east-1'));
  const settings = {} as Settings;
  for (const [field, [variable, schema]] of Object.entries(SETTINGS)) {
    (settings as Record<string, unknown>)[field] = readSetting(env, variable, schema);
  }
  if (settings.unhealthyKeys === 'reassociate' && !settings.keyAudit) {
    // Without the audit no key is known to be at risk: the setting could never act.
    throw new ConfigError('UNHEALTHY_KEYS', env.UNHEALTHY_KEYS, 'reassociate needs KEY_AUDIT=on');
  }
  if (settings.associateTps > settings.associateTpsMax) {
    throw new ConfigError(
      'ASSOCIATE_TPS_MAX',
      env.ASSOCIATE_TPS_MAX,
      `expected at least ASSOCIATE_TPS (${settings.associateTps}), the rate the pace starts at`,
    );
  }
  if (settings.securityHub && settings.findingsTopicArn === undefined) {
    throw new ConfigError('FINDINGS_TOPIC_ARN', env.FINDINGS_TOPIC_ARN, 'required when SECURITY_HUB=on');
  }
  const { excludeTag: tag, findingsTopicArn, ...rest } = settings;
  return Object.freeze({
    region,
    ...rest,
    ...(tag ? { excludeTag: Object.freeze(tag) } : {}),
    ...(findingsTopicArn ? { findingsTopicArn } : {}),
  });
}

/** The findings function's settings (handlers/import-findings.ts). */
export interface FindingsConfig {
  region: string;
  /** Where the notice goes when Security Hub refuses a run's findings. */
  reportTopicArn: string;
  maxAttempts: number;
  /** BatchImportFindings calls per second at most: Security Hub allows 10, burst 30. */
  importTps: number;
}

/** Read the findings function's configuration. Throws ConfigError naming the first bad variable. */
export function loadFindingsConfig(env: Env): Readonly<FindingsConfig> {
  return Object.freeze({
    region: readSetting(env, 'AWS_REGION', required(REGION, 'an AWS region such as us-east-1')),
    reportTopicArn: readSetting(env, 'REPORT_TOPIC_ARN', required(TOPIC_ARN, 'an SNS topic ARN')),
    maxAttempts: readSetting(env, 'MAX_ATTEMPTS', wholeNumber(8, 1, 20)),
    // Security Hub partner guide, "Guidelines for using the BatchImportFindings API": 10 TPS per
    // account and region, burst 30. 5 leaves room for other finding providers of the account.
    importTps: readSetting(env, 'IMPORT_FINDINGS_TPS', wholeNumber(5, 0, 10)),
  });
}

function readSetting<S extends v.GenericSchema<string | undefined, unknown>>(
  env: Env,
  variable: string,
  schema: S,
): v.InferOutput<S> {
  const result = v.safeParse(schema, env[variable]);
  if (result.success) return result.output;
  throw new ConfigError(variable, env[variable], result.issues[0].message);
}

function isKeyReference(value: string): boolean {
  const keyArn = KEY_ARN.exec(value);
  return (
    (keyArn !== null && (KEY_ID.test(keyArn[1] ?? '') || MRK_ID.test(keyArn[1] ?? ''))) ||
    KEY_ID.test(value) ||
    MRK_ID.test(value) ||
    ALIAS_NAME.test(value) ||
    ALIAS_ARN.test(value)
  );
}
