import fc from 'fast-check';
import { loadConfig } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';

const VALID_ENV = {
  AWS_REGION: 'us-east-1',
  KMS_KEY_ID: 'alias/logs',
  REPORT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:reports',
};
const NUM_RUNS = 500;
let cases = 0;

afterAll(() => {
  console.log(`config property tests: ${cases} cases`);
});

/** Strings a person might type, near misses included, plus arbitrary and huge ones. */
const typed = fc.oneof(
  fc.constantFrom(
    'true',
    'false',
    'TRUE',
    'True',
    ' true ',
    'yes',
    '1',
    '0',
    '-1',
    '8',
    '20',
    '21',
    '32',
    '33',
  ),
  fc.constantFrom('always', 'findings', 'Always', 'never', '', ' ', '08', '1e1', '4.0', 'NaN'),
  fc.string(),
  fc.string({ minLength: 1_000, maxLength: 50_000 }),
  fc.integer({ min: -100, max: 100 }).map(String),
);

/** The documented contract of each variable, written independently of lib/config.ts. */
const CONTRACTS: Record<string, (value: string) => boolean> = {
  DRY_RUN: (v) => ['', 'true', 'false'].includes(v.trim()),
  REPORT_WHEN: (v) => ['', 'always', 'findings'].includes(v.trim()),
  MAX_ATTEMPTS: (v) => v.trim() === '' || (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 20),
  ASSOCIATE_CONCURRENCY: (v) =>
    v.trim() === '' || (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 32),
};

describe('loadConfig under random input', () => {
  it.each(Object.keys(CONTRACTS))(
    'accepts %s exactly when it is valid, and otherwise names it',
    (variable) => {
      const isValid = CONTRACTS[variable] as (value: string) => boolean;
      fc.assert(
        fc.property(typed, (value) => {
          cases++;
          const attempt = () => loadConfig({ ...VALID_ENV, [variable]: value });
          if (isValid(value)) {
            expect(attempt).not.toThrow();
          } else {
            expect(attempt).toThrow(ConfigError);
            expect(attempt).toThrow(expect.objectContaining({ variable, value }));
          }
        }),
        { numRuns: NUM_RUNS },
      );
    },
  );

  it.each([
    'KMS_KEY_ID',
    'REPORT_TOPIC_ARN',
    'EXCLUDE_TAG',
    'INCLUDE_PATTERNS',
    'EXCLUDE_PATTERNS',
    'AWS_REGION',
  ])('never lets a bad %s through unnamed: any failure is a ConfigError for that variable', (variable) => {
    fc.assert(
      fc.property(typed, (value) => {
        cases++;
        try {
          loadConfig({ ...VALID_ENV, [variable]: value });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect(error).toMatchObject({ variable, value });
          expect((error as Error).message).toContain(variable);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
