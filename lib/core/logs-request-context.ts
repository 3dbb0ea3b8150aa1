/**
 * Pure data: the request context CloudWatch Logs presents to KMS when it uses a key for a log group, as far as
 * AWS documents it. The key-policy evaluator judges conditions against this and nothing else; the README's
 * key-policy section states the same model with the same sources.
 *
 * CloudWatch Logs calls KMS as its own regional service principal (`logs.<region>.amazonaws.com`), not on behalf
 * of a caller, so the keys that describe a calling IAM principal or a service acting for one are absent.
 * Every key this table does not name is unknown: the evaluator then says "unknown" and AWS decides.
 */

const LOGS_KMS_DOC = 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html';
const IAM_KEYS_DOC =
  'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html';
const KMS_KEYS_DOC = 'https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html';

/** Placeholders a fact's values may use; filled from the request being judged. */
export interface LogsRequestFacts {
  region: string;
  account: string;
  /** The log group ARN without the trailing `:*`, as CloudWatch Logs puts it in the encryption context. */
  groupArn: string;
}

/**
 * What the request context holds for a key:
 * - `present`: the key is there with these values (more than one for a multivalued key);
 * - `absent`: the key is not in the request;
 * - `one-of`: the documentation leaves a few possibilities open; each world is a value list, or null for absent.
 */
export type KeyFact =
  | { kind: 'present'; values: string[]; multivalued?: boolean }
  | { kind: 'absent' }
  | { kind: 'one-of'; worlds: (string[] | null)[] };

interface ModelEntry {
  /** The key, or with `prefix` true every key starting with it (tag keys, other encryption context keys). */
  key: string;
  prefix?: boolean;
  /** Values may contain `{region}`, `{account}` and `{groupArn}`. */
  fact: KeyFact;
  source: string;
}

/** First match wins, so exact keys come before the prefixes that would also cover them. */
export const LOGS_REQUEST_MODEL: readonly ModelEntry[] = [
  // "kms:EncryptionContext:aws:logs:arn as the key and the ARN of the log group as the value".
  { key: 'kms:EncryptionContext:aws:logs:arn', fact: present('{groupArn}'), source: LOGS_KMS_DOC },
  // The encryption context has that one pair, so its key list is just that key and every other
  // kms:EncryptionContext:<key> (such as the anomaly detector's aws-crypto-ec:aws:logs:arn) is absent.
  {
    key: 'kms:EncryptionContextKeys',
    fact: present('aws:logs:arn'),
    source: `${KMS_KEYS_DOC}#conditions-kms-encryption-context-keys`,
  },
  {
    key: 'kms:EncryptionContext:',
    prefix: true,
    fact: { kind: 'absent' },
    source: `${KMS_KEYS_DOC}#conditions-kms-encryption-context`,
  },
  // "true when the call is made directly by an AWS service principal".
  {
    key: 'aws:PrincipalIsAWSService',
    fact: present('true'),
    source: `${IAM_KEYS_DOC}#condition-keys-principalisawsservice`,
  },
  // Always in the request; service principals call KMS over TLS.
  {
    key: 'aws:SecureTransport',
    fact: present('true'),
    source: `${IAM_KEYS_DOC}#condition-keys-securetransport`,
  },
  // Always in the request; false when the principal makes the call itself (no forward access session).
  {
    key: 'aws:ViaAWSService',
    fact: present('false'),
    source: `${IAM_KEYS_DOC}#condition-keys-viaawsservice`,
  },
  // The key and the log group are in one region, so the KMS request is made there.
  {
    key: 'aws:RequestedRegion',
    fact: present('{region}'),
    source: `${IAM_KEYS_DOC}#condition-keys-requestedregion`,
  },
  // Present for service principals; AWS does not say whether it is the global or the regional name.
  {
    key: 'aws:PrincipalServiceName',
    fact: { kind: 'one-of', worlds: [['logs.amazonaws.com'], ['logs.{region}.amazonaws.com']] },
    source: `${IAM_KEYS_DOC}#condition-keys-principalservicename`,
  },
  // Present only when a service principal calls for a resource and the service sets it; then it is the
  // resource owner's account. CloudWatch Logs does not document setting it for KMS.
  {
    key: 'aws:SourceAccount',
    fact: { kind: 'one-of', worlds: [null, ['{account}']] },
    source: `${IAM_KEYS_DOC}#condition-keys-sourceaccount`,
  },
  // Keys of a calling IAM principal: a service principal acting on its own has none of them.
  ...absent('aws:PrincipalArn', 'condition-keys-principalarn'),
  ...absent('aws:PrincipalAccount', 'condition-keys-principalaccount'),
  ...absent('aws:PrincipalOrgID', 'condition-keys-principalorgid'),
  ...absent('aws:PrincipalOrgPaths', 'condition-keys-principalorgpaths'),
  ...absent('aws:PrincipalType', 'condition-keys-principaltype'),
  ...absent('aws:userid', 'condition-keys-userid'),
  ...absent('aws:username', 'condition-keys-username'),
  ...absent('aws:MultiFactorAuthPresent', 'condition-keys-multifactorauthpresent'),
  ...absent('aws:MultiFactorAuthAge', 'condition-keys-multifactorauthage'),
  ...absent('aws:SourceIdentity', 'condition-keys-sourceidentity'),
  ...absent('aws:FederatedProvider', 'condition-keys-federatedprovider'),
  ...absent('aws:TokenIssueTime', 'condition-keys-tokenissuetime'),
  // Keys of a service acting for a caller (forward access sessions): not this call.
  ...absent('aws:CalledVia', 'condition-keys-calledvia'),
  ...absent('aws:CalledViaFirst', 'condition-keys-calledviafirst'),
  ...absent('aws:CalledViaLast', 'condition-keys-calledvialast'),
  // Network keys: present only for requests through a VPC endpoint of the customer's.
  ...absent('aws:SourceVpc', 'condition-keys-sourcevpc'),
  ...absent('aws:SourceVpce', 'condition-keys-sourcevpce'),
  ...absent('aws:VpcSourceIp', 'condition-keys-vpcsourceip'),
  {
    key: 'aws:PrincipalTag/',
    prefix: true,
    fact: { kind: 'absent' },
    source: `${IAM_KEYS_DOC}#condition-keys-principaltag`,
  },
  {
    key: 'aws:RequestTag/',
    prefix: true,
    fact: { kind: 'absent' },
    source: `${IAM_KEYS_DOC}#condition-keys-requesttag`,
  },
  // kms:ViaService is for a service using the key on behalf of a principal; kms:CallerAccount names the
  // account of an IAM caller. Neither describes the service principal itself (the finding; the KMS
  // docs describe both only for IAM callers).
  { key: 'kms:ViaService', fact: { kind: 'absent' }, source: `${KMS_KEYS_DOC}#conditions-kms-via-service` },
  {
    key: 'kms:CallerAccount',
    fact: { kind: 'absent' },
    source: `${KMS_KEYS_DOC}#conditions-kms-caller-account`,
  },
  // CloudWatch Logs names the key by ARN, and uses no grants for log groups.
  {
    key: 'kms:RequestAlias',
    fact: { kind: 'absent' },
    source: `${KMS_KEYS_DOC}#conditions-kms-request-alias`,
  },
  {
    key: 'kms:GrantIsForAWSResource',
    fact: { kind: 'absent' },
    source: `${KMS_KEYS_DOC}#conditions-kms-grant-is-for-aws-resource`,
  },
];

function present(...values: string[]): KeyFact {
  return { kind: 'present', values };
}

function absent(key: string, anchor: string): ModelEntry[] {
  return [{ key, fact: { kind: 'absent' }, source: `${IAM_KEYS_DOC}#${anchor}` }];
}

function fill(value: string, facts: LogsRequestFacts): string {
  return value
    .replaceAll('{region}', facts.region)
    .replaceAll('{account}', facts.account)
    .replaceAll('{groupArn}', facts.groupArn);
}

/**
 * What the request context holds for `key` (condition keys compare case-insensitively), or undefined when
 * the model does not know: aws:SourceIp, aws:SourceArn, aws:CurrentTime, aws:ResourceTag/…, and so on.
 */
export function lookUpLogsRequestKey(key: string, facts: LogsRequestFacts): KeyFact | undefined {
  const lower = key.toLowerCase();
  const entry = LOGS_REQUEST_MODEL.find((e) =>
    e.prefix ? lower.startsWith(e.key.toLowerCase()) : lower === e.key.toLowerCase(),
  );
  if (!entry) return undefined;
  const { fact } = entry;
  if (fact.kind === 'present') return { ...fact, values: fact.values.map((v) => fill(v, facts)) };
  if (fact.kind === 'absent') return fact;
  return { kind: 'one-of', worlds: fact.worlds.map((w) => w?.map((v) => fill(v, facts)) ?? null) };
}

/** Whether the key's value is the log group's own ARN, i.e. differs from group to group. */
export function isGroupDependentKey(key: string): boolean {
  return key.toLowerCase() === 'kms:encryptioncontext:aws:logs:arn';
}
