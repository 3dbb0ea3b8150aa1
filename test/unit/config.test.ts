import { type Env, loadConfig, loadFindingsConfig } from '../../lib/core/config';
import { ConfigError, RemediatorError } from '../../lib/core/errors';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:log-encryption-reports';
const KEY_UUID = '1234abcd-12ab-34cd-56ef-1234567890ab';

const MINIMAL: Env = {
  AWS_REGION: 'us-east-1',
  KMS_KEY_ID: KEY_UUID,
  REPORT_TOPIC_ARN: TOPIC_ARN,
};

function envWith(overrides: Record<string, string | undefined>): Env {
  return { ...MINIMAL, ...overrides };
}

/** Run loadConfig and return the ConfigError it throws; fail the test if it throws anything else or nothing. */
function configErrorFrom(env: Env): ConfigError {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe('loadConfig', () => {
  describe('with only the required variables', () => {
    it('yields the documented defaults', () => {
      const config = loadConfig(MINIMAL);

      expect(config).toEqual({
        region: 'us-east-1',
        kmsKeyId: KEY_UUID,
        reportTopicArn: TOPIC_ARN,
        dryRun: false,
        includePatterns: [],
        excludePatterns: [],
        reportWhen: 'findings',
        maxAttempts: 8,
        associateConcurrency: 4,
        describeLogGroupsTps: 5,
        associateTps: 5,
        associateTpsMax: 50,
        keyCacheSeconds: 300,
        keyAudit: true,
        otherKeys: 'allow',
        unhealthyKeys: 'report',
        securityHub: false,
      });
      expect(config).not.toHaveProperty('excludeTag');
      expect(config).not.toHaveProperty('findingsTopicArn');
    });

    it('returns a frozen object whose pattern lists are frozen too', () => {
      const config = loadConfig(MINIMAL);

      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.includePatterns)).toBe(true);
      expect(Object.isFrozen(config.excludePatterns)).toBe(true);
    });

    it('leaves the env object it is given untouched', () => {
      const env = Object.freeze({ ...MINIMAL });

      expect(() => loadConfig(env)).not.toThrow();
      expect(env).toEqual(MINIMAL);
    });
  });

  describe('AWS_REGION', () => {
    it.each(['us-east-1', 'eu-west-3', 'ap-southeast-2', 'us-gov-west-1', 'cn-north-1'])(
      'accepts %s',
      (region) => {
        expect(loadConfig(envWith({ AWS_REGION: region })).region).toBe(region);
      },
    );

    it('falls back to AWS_DEFAULT_REGION when AWS_REGION is unset', () => {
      const config = loadConfig(envWith({ AWS_REGION: undefined, AWS_DEFAULT_REGION: 'eu-central-1' }));

      expect(config.region).toBe('eu-central-1');
    });

    it('prefers AWS_REGION over AWS_DEFAULT_REGION', () => {
      const config = loadConfig(envWith({ AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-central-1' }));

      expect(config.region).toBe('us-west-2');
    });

    it('rejects a missing AWS_REGION (and no AWS_DEFAULT_REGION), naming AWS_REGION', () => {
      const error = configErrorFrom(envWith({ AWS_REGION: undefined }));

      expect(error.variable).toBe('AWS_REGION');
      expect(error.value).toBeUndefined();
      expect(error.message).toContain('AWS_REGION');
    });

    it.each(['US-EAST-1', 'us-east', 'useast1', 'us-east-1a', 'moon'])(
      'rejects AWS_REGION=%s, naming the variable',
      (region) => {
        const error = configErrorFrom(envWith({ AWS_REGION: region }));

        expect(error.variable).toBe('AWS_REGION');
        expect(error.value).toBe(region);
        expect(error.message).toContain(`AWS_REGION=`);
        expect(error.message).toContain(region);
      },
    );

    it('rejects a malformed AWS_DEFAULT_REGION, naming AWS_DEFAULT_REGION', () => {
      const error = configErrorFrom(envWith({ AWS_REGION: undefined, AWS_DEFAULT_REGION: 'nowhere' }));

      expect(error.variable).toBe('AWS_DEFAULT_REGION');
      expect(error.value).toBe('nowhere');
    });
  });

  describe('KMS_KEY_ID', () => {
    it.each([
      ['a key ARN', `arn:aws:kms:us-east-1:123456789012:key/${KEY_UUID}`],
      ['a key ARN in another partition', `arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/${KEY_UUID}`],
      [
        'a multi-Region key ARN',
        'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      ],
      ['a key id (uuid)', KEY_UUID],
      ['an upper-case key id', KEY_UUID.toUpperCase()],
      ['a multi-Region key id (mrk-)', 'mrk-1234abcd12ab34cd56ef1234567890ab'],
      ['an alias name', 'alias/log-encryption'],
      ['a nested alias name', 'alias/team_a/logs-key'],
      ['an alias ARN', 'arn:aws:kms:us-east-1:123456789012:alias/log-encryption'],
    ])('accepts %s', (_form, keyId) => {
      expect(loadConfig(envWith({ KMS_KEY_ID: keyId })).kmsKeyId).toBe(keyId);
    });

    it('trims surrounding whitespace from the key id', () => {
      expect(loadConfig(envWith({ KMS_KEY_ID: `  ${KEY_UUID}\n` })).kmsKeyId).toBe(KEY_UUID);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['blank', '   '],
    ])('rejects a %s KMS_KEY_ID as required, naming the variable', (_case, value) => {
      const error = configErrorFrom(envWith({ KMS_KEY_ID: value }));

      expect(error.variable).toBe('KMS_KEY_ID');
      expect(error.value).toBe(value);
      expect(error.message).toContain('KMS_KEY_ID');
      expect(error.message).toMatch(/required/);
    });

    it.each([
      ['garbage', 'not-a-key'],
      ['a truncated uuid', '1234abcd-12ab-34cd-56ef-1234567890a'],
      ['an mrk- id of the wrong length', 'mrk-1234'],
      ['a key ARN with a garbage key id', 'arn:aws:kms:us-east-1:123456789012:key/not-a-key'],
      ['a key ARN with a short account', `arn:aws:kms:us-east-1:12345:key/${KEY_UUID}`],
      ['an ARN of another service', `arn:aws:s3:us-east-1:123456789012:key/${KEY_UUID}`],
      ['an alias without a name', 'alias/'],
      ['an alias with a space', 'alias/my key'],
    ])('rejects %s, naming the variable and the value', (_case, value) => {
      const error = configErrorFrom(envWith({ KMS_KEY_ID: value }));

      expect(error.variable).toBe('KMS_KEY_ID');
      expect(error.value).toBe(value);
      expect(error.message).toContain('KMS_KEY_ID');
      expect(error.message).toContain(value);
    });

    it.each([
      ['the alias name alias/aws/logs', 'alias/aws/logs'],
      ['another AWS-managed alias name', 'alias/aws/s3'],
      ['an AWS-managed alias with surrounding spaces', ' alias/aws/logs '],
      ['the alias ARN of alias/aws/logs', 'arn:aws:kms:us-east-1:123456789012:alias/aws/logs'],
    ])('rejects %s: AWS-managed keys cannot encrypt log groups', (_case, value) => {
      const error = configErrorFrom(envWith({ KMS_KEY_ID: value }));

      expect(error.variable).toBe('KMS_KEY_ID');
      expect(error.value).toBe(value);
      expect(error.message).toContain(value);
      expect(error.message).toMatch(/AWS-managed/);
    });
  });

  describe('REPORT_TOPIC_ARN', () => {
    it.each([
      TOPIC_ARN,
      'arn:aws:sns:eu-west-1:123456789012:reports.fifo',
      'arn:aws-cn:sns:cn-north-1:123456789012:Reports_2',
    ])('accepts %s', (arn) => {
      expect(loadConfig(envWith({ REPORT_TOPIC_ARN: arn })).reportTopicArn).toBe(arn);
    });

    it.each([undefined, '', ' '])('rejects a missing or blank REPORT_TOPIC_ARN (%p) as required', (value) => {
      const error = configErrorFrom(envWith({ REPORT_TOPIC_ARN: value }));

      expect(error.variable).toBe('REPORT_TOPIC_ARN');
      expect(error.value).toBe(value);
      expect(error.message).toContain('REPORT_TOPIC_ARN');
      expect(error.message).toMatch(/required/);
    });

    it.each([
      ['a bare topic name', 'log-encryption-reports'],
      ['an SQS queue ARN', 'arn:aws:sqs:us-east-1:123456789012:queue'],
      ['a topic ARN with a short account', 'arn:aws:sns:us-east-1:1234:topic'],
      ['a topic ARN with a space in the name', 'arn:aws:sns:us-east-1:123456789012:my topic'],
      ['a topic ARN with a subscription suffix', `${TOPIC_ARN}:7f1b0c1e-0000-4000-8000-000000000000`],
    ])('rejects %s, naming the variable and the value', (_case, value) => {
      const error = configErrorFrom(envWith({ REPORT_TOPIC_ARN: value }));

      expect(error.variable).toBe('REPORT_TOPIC_ARN');
      expect(error.value).toBe(value);
      expect(error.message).toContain('REPORT_TOPIC_ARN');
      expect(error.message).toContain(value);
    });
  });

  describe('DRY_RUN', () => {
    it.each([
      ['true', true],
      ['false', false],
      [' true ', true],
      [undefined, false],
      ['', false],
      ['  ', false],
    ])('reads DRY_RUN=%p as %p', (value, expected) => {
      expect(loadConfig(envWith({ DRY_RUN: value })).dryRun).toBe(expected);
    });

    it.each(['yes', 'TRUE', 'True', '1', '0', 'no', 'on'])(
      'rejects DRY_RUN=%s, naming the variable',
      (value) => {
        const error = configErrorFrom(envWith({ DRY_RUN: value }));

        expect(error.variable).toBe('DRY_RUN');
        expect(error.value).toBe(value);
        expect(error.message).toContain('DRY_RUN');
        expect(error.message).toContain(value);
      },
    );
  });

  describe.each(['INCLUDE_PATTERNS', 'EXCLUDE_PATTERNS'] as const)('%s', (variable) => {
    const property = variable === 'INCLUDE_PATTERNS' ? 'includePatterns' : 'excludePatterns';

    it.each([
      ['/aws/lambda/*', ['/aws/lambda/*']],
      ['/aws/lambda/*,/aws/rds/*', ['/aws/lambda/*', '/aws/rds/*']],
      [' /aws/lambda/* , /aws/rds/* ', ['/aws/lambda/*', '/aws/rds/*']],
      ['a,b,c', ['a', 'b', 'c']],
    ])(`splits ${variable}=%p on commas and trims each pattern`, (value, expected) => {
      expect(loadConfig(envWith({ [variable]: value }))[property]).toEqual(expected);
    });

    it.each([undefined, '', '   '])(`treats ${variable}=%p as no patterns`, (value) => {
      expect(loadConfig(envWith({ [variable]: value }))[property]).toEqual([]);
    });

    it.each([
      ['an empty item between commas', 'a,,b'],
      ['a trailing comma', 'a,'],
      ['a leading comma', ',a'],
      ['only commas', ' , '],
      ['a pattern containing a space', '/aws/my group'],
      ['a pattern over 512 characters', `/${'x'.repeat(512)}`],
    ])(`rejects ${variable} with %s, naming the variable and the value`, (_case, value) => {
      const error = configErrorFrom(envWith({ [variable]: value }));

      expect(error.variable).toBe(variable);
      expect(error.value).toBe(value);
      expect(error.message).toContain(variable);
      expect(error.message).toContain(value);
    });
  });

  describe('EXCLUDE_TAG', () => {
    it.each([
      ['key', 'keep-unencrypted', { key: 'keep-unencrypted' }],
      ['key=value', 'team=platform', { key: 'team', value: 'platform' }],
      ['key= (empty value)', 'team=', { key: 'team', value: '' }],
      ['key=value containing =', 'expr=a=b', { key: 'expr', value: 'a=b' }],
      ['a key with allowed punctuation', 'app:env/name_x.y+z-@', { key: 'app:env/name_x.y+z-@' }],
      ['a key with surrounding spaces', '  keep  ', { key: 'keep' }],
      ['a key of 128 characters', 'k'.repeat(128), { key: 'k'.repeat(128) }],
      ['a value of 256 characters', `k=${'v'.repeat(256)}`, { key: 'k', value: 'v'.repeat(256) }],
    ])('reads %s', (_form, value, expected) => {
      const config = loadConfig(envWith({ EXCLUDE_TAG: value }));

      expect(config.excludeTag).toEqual(expected);
    });

    it('distinguishes key (any value) from key= (the empty value)', () => {
      const anyValue = loadConfig(envWith({ EXCLUDE_TAG: 'keep' })).excludeTag;
      const emptyValue = loadConfig(envWith({ EXCLUDE_TAG: 'keep=' })).excludeTag;

      expect(anyValue).not.toHaveProperty('value');
      expect(emptyValue).toHaveProperty('value', '');
    });

    it.each([undefined, '', '  '])('treats EXCLUDE_TAG=%p as unset', (value) => {
      expect(loadConfig(envWith({ EXCLUDE_TAG: value }))).not.toHaveProperty('excludeTag');
    });

    it.each([
      ['an aws: key', 'aws:x'],
      ['an aws: key with a value', 'aws:cloudformation:stack-name=s'],
      ['an empty key with a value', '=v'],
      ['an empty key and value', '='],
      ['a key over 128 characters', 'k'.repeat(129)],
      ['a key with a disallowed character', 'team!'],
      ['a value over 256 characters', `k=${'v'.repeat(257)}`],
    ])('rejects %s, naming the variable and the value', (_case, value) => {
      const error = configErrorFrom(envWith({ EXCLUDE_TAG: value }));

      expect(error.variable).toBe('EXCLUDE_TAG');
      expect(error.value).toBe(value);
      expect(error.message).toContain('EXCLUDE_TAG');
      expect(error.message).toContain(value);
    });
  });

  describe('REPORT_WHEN', () => {
    it.each([
      ['always', 'always'],
      ['findings', 'findings'],
      [' always ', 'always'],
      [undefined, 'findings'],
      ['', 'findings'],
    ])('reads REPORT_WHEN=%p as %p', (value, expected) => {
      expect(loadConfig(envWith({ REPORT_WHEN: value })).reportWhen).toBe(expected);
    });

    it.each(['never', 'ALWAYS', 'finding', 'true'])(
      'rejects REPORT_WHEN=%s, naming the variable',
      (value) => {
        const error = configErrorFrom(envWith({ REPORT_WHEN: value }));

        expect(error.variable).toBe('REPORT_WHEN');
        expect(error.value).toBe(value);
        expect(error.message).toContain('REPORT_WHEN');
        expect(error.message).toContain(value);
      },
    );
  });

  describe('the key audit: KEY_AUDIT, OTHER_KEYS, UNHEALTHY_KEYS', () => {
    it.each<[string, string | undefined, string, unknown]>([
      ['KEY_AUDIT', 'on', 'keyAudit', true],
      ['KEY_AUDIT', 'off', 'keyAudit', false],
      ['KEY_AUDIT', ' off ', 'keyAudit', false],
      ['KEY_AUDIT', undefined, 'keyAudit', true],
      ['KEY_AUDIT', '', 'keyAudit', true],
      ['OTHER_KEYS', 'allow', 'otherKeys', 'allow'],
      ['OTHER_KEYS', 'report', 'otherKeys', 'report'],
      ['OTHER_KEYS', 'reassociate', 'otherKeys', 'reassociate'],
      ['OTHER_KEYS', undefined, 'otherKeys', 'allow'],
      ['OTHER_KEYS', ' ', 'otherKeys', 'allow'],
      ['UNHEALTHY_KEYS', 'report', 'unhealthyKeys', 'report'],
      ['UNHEALTHY_KEYS', 'reassociate', 'unhealthyKeys', 'reassociate'],
      ['UNHEALTHY_KEYS', undefined, 'unhealthyKeys', 'report'],
      ['UNHEALTHY_KEYS', '', 'unhealthyKeys', 'report'],
    ])('reads %s=%p as %s %p', (variable, value, property, expected) => {
      expect(loadConfig(envWith({ [variable]: value }))).toHaveProperty(property, expected);
    });

    it.each([
      ['KEY_AUDIT', 'true'],
      ['KEY_AUDIT', 'ON'],
      ['KEY_AUDIT', '1'],
      ['OTHER_KEYS', 'deny'],
      ['OTHER_KEYS', 'Allow'],
      ['UNHEALTHY_KEYS', 'allow'],
      ['UNHEALTHY_KEYS', 'reassociated'],
    ])('rejects %s=%s, naming the variable', (variable, value) => {
      const error = configErrorFrom(envWith({ [variable]: value }));

      expect(error.variable).toBe(variable);
      expect(error.value).toBe(value);
      expect(error.message).toContain(variable);
    });

    it('rejects UNHEALTHY_KEYS=reassociate with KEY_AUDIT=off: no key would ever be known at risk', () => {
      const error = configErrorFrom(envWith({ UNHEALTHY_KEYS: 'reassociate', KEY_AUDIT: 'off' }));

      expect(error.variable).toBe('UNHEALTHY_KEYS');
      expect(error.message).toContain('KEY_AUDIT=on');
    });
  });

  describe('Security Hub: SECURITY_HUB, FINDINGS_TOPIC_ARN', () => {
    const FINDINGS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:logs-kms-remediator-dev-findings';

    it.each<[string | undefined, string | undefined, boolean, string | undefined]>([
      [undefined, undefined, false, undefined],
      ['', '', false, undefined],
      ['off', undefined, false, undefined],
      ['off', FINDINGS_TOPIC, false, FINDINGS_TOPIC],
      ['on', FINDINGS_TOPIC, true, FINDINGS_TOPIC],
      [' on ', ` ${FINDINGS_TOPIC} `, true, FINDINGS_TOPIC],
    ])('reads SECURITY_HUB=%p FINDINGS_TOPIC_ARN=%p as %p, %p', (on, topic, securityHub, topicArn) => {
      const config = loadConfig(envWith({ SECURITY_HUB: on, FINDINGS_TOPIC_ARN: topic }));
      expect(config.securityHub).toBe(securityHub);
      expect(config.findingsTopicArn).toBe(topicArn);
    });

    it.each<[Record<string, string | undefined>, string, string]>([
      [{ SECURITY_HUB: 'on' }, 'FINDINGS_TOPIC_ARN', 'required when SECURITY_HUB=on'],
      [
        { SECURITY_HUB: 'on', FINDINGS_TOPIC_ARN: ' ' },
        'FINDINGS_TOPIC_ARN',
        'required when SECURITY_HUB=on',
      ],
      [{ SECURITY_HUB: 'true', FINDINGS_TOPIC_ARN: FINDINGS_TOPIC }, 'SECURITY_HUB', 'expected on, off'],
      [
        { SECURITY_HUB: 'on', FINDINGS_TOPIC_ARN: 'findings' },
        'FINDINGS_TOPIC_ARN',
        'expected an SNS topic ARN',
      ],
    ])('rejects %p, naming %s', (overrides, variable, problem) => {
      const error = configErrorFrom(envWith(overrides));
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(problem);
    });
  });

  describe.each([
    { variable: 'MAX_ATTEMPTS', property: 'maxAttempts', fallback: 8, min: 1, max: 20 },
    { variable: 'ASSOCIATE_CONCURRENCY', property: 'associateConcurrency', fallback: 4, min: 1, max: 32 },
  ] as const)('$variable', ({ variable, property, fallback, min, max }) => {
    it.each([
      [String(min), min],
      [String(max), max],
      ['3', 3],
      [' 3 ', 3],
      ['03', 3],
    ])(`reads ${variable}=%p as %p`, (value, expected) => {
      expect(loadConfig(envWith({ [variable]: value }))[property]).toBe(expected);
    });

    it.each([undefined, '', ' '])(`uses the default ${fallback} when ${variable}=%p`, (value) => {
      expect(loadConfig(envWith({ [variable]: value }))[property]).toBe(fallback);
    });

    it.each(['0', String(max + 1), '-1', 'abc', '1.5', '2e1', '0x10', '+3', '99999999999999999999'])(
      `rejects ${variable}=%s, naming the variable and the value`,
      (value) => {
        const error = configErrorFrom(envWith({ [variable]: value }));

        expect(error.variable).toBe(variable);
        expect(error.value).toBe(value);
        expect(error.message).toContain(variable);
        expect(error.message).toContain(value);
      },
    );
  });

  describe('ASSOCIATE_TPS_MAX', () => {
    const withStart = (value: string | undefined) =>
      envWith({ ASSOCIATE_TPS: '1', ASSOCIATE_TPS_MAX: value });

    it.each([
      ['1', 1],
      ['1000', 1000],
      [' 30 ', 30],
      [undefined, 50],
      ['', 50],
    ])('reads ASSOCIATE_TPS_MAX=%p as %p', (value, expected) => {
      expect(loadConfig(withStart(value)).associateTpsMax).toBe(expected);
    });

    it.each(['0', '1001', '-1', 'abc', '1.5', '2e1'])(
      'rejects ASSOCIATE_TPS_MAX=%s, naming the variable and the value',
      (value) => {
        const error = configErrorFrom(withStart(value));

        expect([error.variable, error.value]).toEqual(['ASSOCIATE_TPS_MAX', value]);
        expect(error.message).toContain('expected a whole number from 1 to 1000');
      },
    );
  });

  describe('ASSOCIATE_TPS and ASSOCIATE_TPS_MAX together', () => {
    it.each([
      [{ ASSOCIATE_TPS: '20', ASSOCIATE_TPS_MAX: '20' }, 20, 20],
      [{ ASSOCIATE_TPS: '0', ASSOCIATE_TPS_MAX: '1' }, 0, 1],
      [{ ASSOCIATE_TPS: '100' }, 100, 50],
    ])('%p', (env, associateTps, associateTpsMax) => {
      if (associateTps > associateTpsMax) {
        const error = configErrorFrom(envWith(env));
        expect(error.variable).toBe('ASSOCIATE_TPS_MAX');
        expect(error.message).toContain(`at least ASSOCIATE_TPS (${associateTps})`);
      } else {
        expect(loadConfig(envWith(env))).toMatchObject({ associateTps, associateTpsMax });
      }
    });

    it('refuses a ceiling below the starting rate, naming ASSOCIATE_TPS_MAX and its value', () => {
      const error = configErrorFrom(envWith({ ASSOCIATE_TPS: '10', ASSOCIATE_TPS_MAX: '5' }));

      expect([error.variable, error.value]).toEqual(['ASSOCIATE_TPS_MAX', '5']);
      expect(error.message).toMatch(/ASSOCIATE_TPS_MAX="5": expected at least ASSOCIATE_TPS \(10\)/);
    });
  });

  describe('ConfigError', () => {
    it('is a RemediatorError named ConfigError', () => {
      const error = configErrorFrom(envWith({ DRY_RUN: 'yes' }));

      expect(error).toBeInstanceOf(RemediatorError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('ConfigError');
    });

    it('reports the raw value as given, surrounding spaces included', () => {
      const error = configErrorFrom(envWith({ REPORT_WHEN: ' never ' }));

      expect(error.value).toBe(' never ');
    });

    it('says null in the message when the variable is unset', () => {
      const error = configErrorFrom(envWith({ REPORT_TOPIC_ARN: undefined }));

      expect(error.message).toMatch(/REPORT_TOPIC_ARN=null/);
    });
  });
});

describe('loadFindingsConfig', () => {
  const ENV: Env = { AWS_REGION: 'eu-west-1', REPORT_TOPIC_ARN: TOPIC_ARN };

  it('yields the defaults: 8 attempts, 5 imports a second (Security Hub allows 10)', () => {
    expect(loadFindingsConfig(ENV)).toEqual({
      region: 'eu-west-1',
      reportTopicArn: TOPIC_ARN,
      maxAttempts: 8,
      importTps: 5,
    });
  });

  it.each<[Record<string, string | undefined>, string]>([
    [{ REPORT_TOPIC_ARN: undefined }, 'REPORT_TOPIC_ARN'],
    [{ AWS_REGION: 'moon' }, 'AWS_REGION'],
    [{ IMPORT_FINDINGS_TPS: '11' }, 'IMPORT_FINDINGS_TPS'],
    [{ MAX_ATTEMPTS: '0' }, 'MAX_ATTEMPTS'],
  ])('rejects %p, naming %s', (overrides, variable) => {
    expect(() => loadFindingsConfig({ ...ENV, ...overrides })).toThrow(expect.objectContaining({ variable }));
  });
});
