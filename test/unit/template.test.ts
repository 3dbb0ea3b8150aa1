/**
 * The CloudFormation template `serverless package` produces from serverless.yml.
 *
 * beforeAll packages three variants once each, concurrently, every one in its own copy of the
 * working tree (osls builds in ./.serverless and serverless-esbuild in ./.esbuild, so two
 * packagings of one tree would trample each other, and the tree itself stays untouched):
 *   created   no kmsKeyId: the stack creates the key
 *   keyArn    --param="kmsKeyId=<key ARN>"
 *   aliasName --param="kmsKeyId=alias/..."
 *
 * The key-dependent parts of the template are CloudFormation Conditions over the template
 * parameter KmsKeyId (whose Default is the osls param), so the templates differ only in that
 * Default. `Stack` below evaluates a template the way CloudFormation would for given parameter
 * values (conditions, Fn::If, Fn::Sub, Fn::Select/Split/Join, Ref of parameters and pseudo
 * parameters), leaving Ref/Fn::GetAtt of resources as they are; that is how the other key forms
 * (key id, alias ARN) and the e-mail subscription are checked without packaging again.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { loadConfig } from '../../lib/config';
import { assessPolicyScope, buildLogsPolicyStatement, parseKeyPolicy } from '../../lib/key-policy';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const ROOT = join(__dirname, '..', '..');
const PACKAGE_TIMEOUT_MS = 120_000;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
};

const KEY_UUID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:us-east-1:111122223333:key/${KEY_UUID}`;
const ALIAS_NAME = 'alias/my-logs-key';
const ANY_KEY_HERE = `arn:aws:kms:${REGION}:${ACCOUNT}:key/*`;
const ALIAS_CONDITION: JsonObject = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ALIAS_NAME } };
const CREATED_KEY_ARN: Json = { 'Fn::GetAtt': ['RemediatorKey', 'Arn'] };

const VARIANTS = {
  created: [],
  keyArn: [`--param=kmsKeyId=${KEY_ARN}`],
  aliasName: [`--param=kmsKeyId=${ALIAS_NAME}`],
} as const;
type Variant = keyof typeof VARIANTS;

// ---------------------------------------------------------------------------------------------
// Template types and a small CloudFormation evaluator

interface Resource {
  Type: string;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
  Properties: JsonObject;
}

interface Template {
  Parameters: Record<string, { Type: string; Default: string; AllowedPattern?: string }>;
  Conditions: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Condition?: string; Value: Json }>;
}

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Json;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  Condition?: JsonObject;
}

const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

const isValue = (value: Resolved): value is Json => value !== NO_VALUE;
const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A template as CloudFormation would deploy it for the given parameter values. */
class Stack {
  readonly parameters: Record<string, string>;
  private readonly conditionValues = new Map<string, boolean>();

  constructor(
    readonly template: Template,
    overrides: Record<string, string> = {},
  ) {
    this.parameters = {};
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      this.parameters[name] = parameter.Default;
    }
    Object.assign(this.parameters, overrides);
  }

  condition(name: string): boolean {
    let value = this.conditionValues.get(name);
    if (value === undefined) {
      const definition = this.template.Conditions?.[name];
      if (definition === undefined) throw new Error(`no condition ${name}`);
      const resolved = this.resolve(definition);
      if (typeof resolved !== 'boolean') throw new Error(`condition ${name} is not a boolean`);
      value = resolved;
      this.conditionValues.set(name, value);
    }
    return value;
  }

  /** The resources this stack creates, properties resolved. */
  get resources(): Record<string, Resource> {
    const created: Record<string, Resource> = {};
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      if (resource.Condition !== undefined && !this.condition(resource.Condition)) continue;
      const properties = this.resolve(resource.Properties ?? {});
      created[id] = {
        ...resource,
        Properties: isValue(properties) && isObject(properties) ? properties : {},
      };
    }
    return created;
  }

  get outputs(): Record<string, Json> {
    const outputs: Record<string, Json> = {};
    for (const [name, output] of Object.entries(this.template.Outputs)) {
      if (output.Condition !== undefined && !this.condition(output.Condition)) continue;
      const value = this.resolve(output.Value);
      if (isValue(value)) outputs[name] = value;
    }
    return outputs;
  }

  resource(id: string): Resource {
    const resource = this.resources[id];
    if (resource === undefined) throw new Error(`resource ${id} is not created`);
    return resource;
  }

  resolve(value: Json): Resolved {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item)).filter(isValue);
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const fn = keys.length === 1 ? keys[0] : undefined;
    const arg = fn === undefined ? undefined : value[fn];
    if (fn !== undefined && arg !== undefined) {
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Condition':
          return this.condition(String(arg));
        case 'Fn::GetAtt':
          return value; // a resource attribute, known only once deployed
        case 'Fn::If': {
          const [name, whenTrue, whenFalse] = arg as [string, Json, Json];
          return this.resolve(this.condition(name) ? whenTrue : whenFalse);
        }
        case 'Fn::Equals': {
          const [a, b] = (arg as Json[]).map((item) => this.resolve(item));
          if (typeof a !== 'string' || typeof b !== 'string') throw new Error('Fn::Equals on a non-string');
          return a === b;
        }
        case 'Fn::Not':
          return !this.bool((arg as Json[])[0] ?? null);
        case 'Fn::And':
          return (arg as Json[]).every((item) => this.bool(item));
        case 'Fn::Or':
          return (arg as Json[]).some((item) => this.bool(item));
        case 'Fn::Join': {
          const [delimiter, list] = arg as [string, Json];
          const items = this.resolve(list);
          if (!Array.isArray(items)) throw new Error('Fn::Join of a non-list');
          return items.every((item) => typeof item === 'string')
            ? items.join(delimiter)
            : { 'Fn::Join': [delimiter, items] };
        }
        case 'Fn::Split': {
          const [delimiter, source] = arg as [string, Json];
          const text = this.resolve(source);
          if (typeof text !== 'string') throw new Error('Fn::Split of a non-string');
          return text.split(delimiter);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [Json, Json];
          const items = this.resolve(list);
          const at = Number(this.resolve(index));
          if (!Array.isArray(items) || !Number.isInteger(at) || at < 0 || at >= items.length) {
            // CloudFormation fails the stack operation here.
            throw new Error(`Fn::Select index ${at} out of range of ${JSON.stringify(items)}`);
          }
          return items[at] ?? null;
        }
        case 'Fn::Sub':
          return this.sub(arg);
      }
    }
    const resolved: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const result = this.resolve(item);
      if (isValue(result)) resolved[key] = result;
    }
    return resolved;
  }

  private bool(value: Json): boolean {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'boolean') throw new Error('condition function on a non-boolean');
    return resolved;
  }

  private ref(name: string): Resolved {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const known = PSEUDO[name] ?? this.parameters[name];
    if (known !== undefined) return known;
    if (name in this.template.Resources) return { Ref: name };
    throw new Error(`Ref to unknown ${name}`);
  }

  private sub(arg: Json): Json {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, JsonObject]);
    const values: Record<string, Resolved> = {};
    for (const [name, item] of Object.entries(variables)) values[name] = this.resolve(item);
    // '${Var}' alone, Var a resource reference: the reference itself.
    const whole = /^\$\{([^}!]+)\}$/.exec(text)?.[1];
    const wholeValue = whole === undefined ? undefined : values[whole];
    if (wholeValue !== undefined && isValue(wholeValue) && typeof wholeValue !== 'string') return wholeValue;
    let unresolved = false;
    const result = text.replace(/\$\{([^}!]+)\}/g, (match, name: string) => {
      const found = values[name] ?? PSEUDO[name] ?? this.parameters[name];
      if (typeof found === 'string') return found;
      unresolved = true;
      return match;
    });
    return unresolved ? { 'Fn::Sub': result } : result;
  }
}

/** Logical ids of the resources a resolved value refers to. */
function referencedResources(value: Json, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedResources(item, into);
  } else if (isObject(value)) {
    const ref = value.Ref;
    const getAtt = value['Fn::GetAtt'];
    const sub = value['Fn::Sub'];
    if (typeof ref === 'string' && !ref.startsWith('AWS::')) into.add(ref);
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') into.add(getAtt[0]);
    if (typeof sub === 'string') {
      for (const [, name] of sub.matchAll(/\$\{([^}.!]+)/g))
        if (name && !name.startsWith('AWS::')) into.add(name);
    }
    for (const item of Object.values(value)) referencedResources(item, into);
  }
  return into;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function statementsOf(document: Json | undefined): Statement[] {
  if (!isObject(document)) return [];
  return asList(document.Statement) as unknown as Statement[];
}

function withoutSid({ Sid: _sid, ...rest }: Statement): Omit<Statement, 'Sid'> {
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Packaging

const workDirs: string[] = [];
const templates = {} as Record<Variant, Template>;
const zips = {} as Record<Variant, Buffer>;
const execFileAsync = promisify(execFile);

/** `serverless package` in a fresh copy of the tree; keeps the template and the function's zip. */
async function packageVariant(variant: Variant): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), `lkr-template-${variant}-`));
  workDirs.push(work);
  const service = join(work, 'service');
  const skip = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'coverage', '.demo']);
  for (const entry of readdirSync(ROOT)) {
    if (!skip.has(entry)) cpSync(join(ROOT, entry), join(service, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(service, 'node_modules'), 'dir');

  // Packaging calls no AWS API and works without any credentials. The fake keys (and no
  // profile, no endpoint) only make sure a developer's real credentials can never be used.
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_')) env[name] = value;
  }
  Object.assign(env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: REGION });

  const out = join(work, 'package');
  const args = ['--no', 'serverless', 'package', '--stage', 'dev', '--region', REGION, '--package', out];
  try {
    await execFileAsync('npx', [...args, ...VARIANTS[variant]], {
      cwd: service,
      env,
      timeout: PACKAGE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`serverless package (${variant}) failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
  templates[variant] = JSON.parse(
    readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  );
  zips[variant] = readFileSync(join(out, 'remediate.zip'));
}

beforeAll(async () => {
  await Promise.all((Object.keys(VARIANTS) as Variant[]).map(packageVariant));
}, PACKAGE_TIMEOUT_MS);

afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

const stackOf = (variant: Variant, overrides?: Record<string, string>) =>
  new Stack(templates[variant], overrides);

// ---------------------------------------------------------------------------------------------
// Expectations shared by the variants

const FUNCTION_ID = 'RemediateLambdaFunction';
const ROLE_ID = 'IamRoleLambdaExecution';
const OWN_LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/logs-kms-remediator-dev`;

function roleStatements(stack: Stack): Statement[] {
  const policies = asList(stack.resource(ROLE_ID).Properties.Policies);
  return policies.flatMap((policy) => statementsOf(isObject(policy) ? policy.PolicyDocument : undefined));
}

/**
 * osls's own statements for the function's log group (logs:CreateLogStream, CreateLogGroup,
 * TagResource, PutLogEvents). No adapter makes those calls — the Lambda runtime does — so they
 * stay out of the comparison with the adapters' IAM declarations.
 */
const isFrameworkStatement = (statement: Statement) =>
  asList(statement.Resource).every(
    (resource) => typeof resource === 'string' && resource.startsWith(OWN_LOG_GROUP_ARN),
  );

const ownStatements = (stack: Stack) => roleStatements(stack).filter((s) => !isFrameworkStatement(s));

/** What the role grants on the target key: a resource, and maybe a condition. */
interface KeyGrant {
  Resource: Json;
  Condition?: JsonObject;
}

function expectedRoleStatements(kms: KeyGrant) {
  return [
    { Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['logs:AssociateKmsKey', 'logs:ListTagsForResource'],
      Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*`,
    },
    { Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus'], ...kms },
    { Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'ReportTopic' } },
  ];
}

function expectedEnvironment(kmsKeyId: Json): JsonObject {
  return {
    KMS_KEY_ID: kmsKeyId,
    REPORT_TOPIC_ARN: { Ref: 'ReportTopic' },
    DRY_RUN: 'false',
    INCLUDE_PATTERNS: '',
    EXCLUDE_PATTERNS: '',
    EXCLUDE_TAG: '',
    REPORT_WHEN: 'findings',
    MAX_ATTEMPTS: '8',
    ASSOCIATE_CONCURRENCY: '4',
    POWERTOOLS_SERVICE_NAME: 'logs-kms-remediator',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

const environmentOf = (stack: Stack): JsonObject => {
  const environment = stack.resource(FUNCTION_ID).Properties.Environment;
  return isObject(environment) && isObject(environment.Variables) ? environment.Variables : {};
};

/** The actions named by ` * IAM: service:Action` lines in the top comment of each lib/aws/*.ts. */
function adapterActions(): Map<string, string[]> {
  const dir = join(ROOT, 'lib', 'aws');
  const declared = new Map<string, string[]>();
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .sort()) {
    const header = /^\s*\/\*\*[\s\S]*?\*\//.exec(readFileSync(join(dir, file), 'utf8'))?.[0] ?? '';
    const actions = [...header.matchAll(/IAM:\s*([a-z0-9-]+:[A-Za-z]+)/g)].map((match) => match[1] ?? '');
    if (actions.length > 0) declared.set(file, actions);
  }
  return declared;
}

/** File names and contents of a zip archive (stored or deflated entries). */
function unzip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip archive');
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = archive.readUInt16LE(at + 10);
    const size = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const skip = nameLength + archive.readUInt16LE(at + 30) + archive.readUInt16LE(at + 32);
    const name = archive.toString('utf8', at + 46, at + 46 + nameLength);
    const local = archive.readUInt32LE(at + 42);
    const data = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const raw = archive.subarray(data, data + size);
    files.set(name, method === 8 ? inflateRawSync(raw) : raw);
    at += 46 + skip;
  }
  return files;
}

// ---------------------------------------------------------------------------------------------

describe('serverless package: the function', () => {
  it('runs handlers/remediate.handler on nodejs22.x, arm64, 256 MB, 300 s, one at a time', () => {
    const fn = stackOf('created').resource(FUNCTION_ID);
    expect(fn.Type).toBe('AWS::Lambda::Function');
    expect(fn.Properties).toMatchObject({
      Handler: 'handlers/remediate.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 300,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('is triggered by an EventBridge schedule, rate(1 hour)', () => {
    const stack = stackOf('created');
    const rules = Object.values(stack.resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [FUNCTION_ID, 'Arn'] } }],
    });
    const permissions = Object.values(stack.resources).filter((r) => r.Type === 'AWS::Lambda::Permission');
    expect(permissions.map((p) => p.Properties.Principal)).toEqual(['events.amazonaws.com']);
  });

  it('ships one bundled file, the AWS SDK and every other dependency inside it', () => {
    const code = stackOf('created').resource(FUNCTION_ID).Properties.Code;
    expect(isObject(code) && String(code.S3Key).endsWith('/remediate.zip')).toBe(true);
    const files = unzip(zips.created);
    expect([...files.keys()]).toEqual(['handlers/remediate.js']);
    const bundle = files.get('handlers/remediate.js')?.toString('utf8') ?? '';
    expect(bundle.length).toBeGreaterThan(10_000);
    // Every require() left is of a Node.js built-in ('[require(...)]' is a hint in an SDK message).
    const required = [...bundle.matchAll(/(?<!\[)\brequire\(\s*["']([^"']+)["']\s*\)/g)].map(
      (m) => m[1] ?? '',
    );
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))).toEqual(
      [],
    );
    expect(bundle).not.toMatch(/\/\/# sourceMappingURL=/);
  });

  it.each<[Variant, Json]>([
    ['created', CREATED_KEY_ARN],
    ['keyArn', KEY_ARN],
    ['aliasName', ALIAS_NAME],
  ])('has the configured environment (%s)', (variant, kmsKeyId) => {
    expect(environmentOf(stackOf(variant))).toEqual(expectedEnvironment(kmsKeyId));
  });

  it('has an environment lib/config accepts', () => {
    for (const variant of ['keyArn', 'aliasName'] as const) {
      const env = Object.fromEntries(
        Object.entries(environmentOf(stackOf(variant))).map(([name, value]) => [name, String(value)]),
      );
      env.REPORT_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:logs-kms-remediator-dev-reports`;
      expect(() => loadConfig({ ...env, AWS_REGION: REGION })).not.toThrow();
    }
  });
});

describe('serverless package: the function role', () => {
  it.each<[Variant, KeyGrant]>([
    ['created', { Resource: CREATED_KEY_ARN }],
    ['keyArn', { Resource: KEY_ARN }],
    ['aliasName', { Resource: ANY_KEY_HERE, Condition: ALIAS_CONDITION }],
  ])('grants exactly the remediator its calls (%s)', (variant, kms) => {
    expect(ownStatements(stackOf(variant)).map(withoutSid)).toEqual(expectedRoleStatements(kms));
  });

  it.each<[string, string, KeyGrant]>([
    ['a key ARN', KEY_ARN, { Resource: KEY_ARN }],
    ['a key id', KEY_UUID, { Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_UUID}` }],
    [
      'a multi-Region key id',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      { Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab` },
    ],
    ['an alias name', ALIAS_NAME, { Resource: ANY_KEY_HERE, Condition: ALIAS_CONDITION }],
    [
      'an alias ARN',
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/my-logs-key`,
      { Resource: ANY_KEY_HERE, Condition: ALIAS_CONDITION },
    ],
  ])('reads only the target key when kmsKeyId is %s', (_form, kmsKeyId, kms) => {
    const stack = stackOf('created', { KmsKeyId: kmsKeyId });
    expect(ownStatements(stack).map(withoutSid)).toEqual(expectedRoleStatements(kms));
    expect(environmentOf(stack).KMS_KEY_ID).toBe(kmsKeyId);
    expect(stack.resources.RemediatorKey).toBeUndefined();
  });

  it('keeps the framework statements to the function’s own log group', () => {
    const framework = roleStatements(stackOf('created')).filter(isFrameworkStatement);
    expect(framework.length).toBeGreaterThan(0);
    for (const statement of framework) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) {
        expect([
          'logs:CreateLogStream',
          'logs:CreateLogGroup',
          'logs:TagResource',
          'logs:PutLogEvents',
        ]).toContain(action);
      }
    }
  });

  it('grants exactly the actions the lib/aws adapters declare in their IAM: lines', () => {
    const declared = adapterActions();
    expect(declared.size).toBeGreaterThan(0);
    const fromAdapters = [...new Set([...declared.values()].flat())].sort();
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const granted = [...new Set(ownStatements(stackOf(variant)).flatMap((s) => asList(s.Action)))].sort();
      expect(granted).toEqual(fromAdapters);
    }
  });

  it('has no wildcard action in any IAM policy, and no NotAction', () => {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const stack = stackOf(variant);
      for (const [id, resource] of Object.entries(stack.resources)) {
        if (!resource.Type.startsWith('AWS::IAM::')) continue;
        const { Properties: p } = resource;
        const documents = [
          p.AssumeRolePolicyDocument,
          p.PolicyDocument,
          ...asList(p.Policies).map((x) => (isObject(x) ? x.PolicyDocument : null)),
        ];
        for (const statement of documents.flatMap((d) => statementsOf(d ?? undefined))) {
          expect(statement.NotAction).toBeUndefined();
          for (const action of asList(statement.Action))
            expect({ id, action }).toEqual({ id, action: expect.not.stringContaining('*') });
        }
      }
    }
  });

  it('allows no wildcard action in the other resource policies', () => {
    const stack = stackOf('created');
    for (const [id, resource] of Object.entries(stack.resources)) {
      const document = resource.Properties.PolicyDocument ?? resource.Properties.KeyPolicy;
      // The key policy (root kms:*, the CloudWatch Logs kms:Encrypt* etc.) is the documented
      // one, checked statement by statement in 'the key' below.
      if (resource.Type.startsWith('AWS::IAM::') || id === 'RemediatorKey' || document === undefined)
        continue;
      for (const statement of statementsOf(document)) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of asList(statement.Action))
          expect({ id, action }).toEqual({ id, action: expect.not.stringContaining('*') });
      }
    }
  });

  it('refers to no resource the stack does not create', () => {
    const cases: [Variant, Record<string, string>][] = [
      ['created', {}],
      ['keyArn', {}],
      ['aliasName', {}],
      ['created', { KmsKeyId: KEY_UUID }],
      ['created', { KmsKeyId: ALIAS_NAME }],
      ['created', { ReportEmail: 'ops@example.com' }],
    ];
    for (const [variant, overrides] of cases) {
      const stack = stackOf(variant, overrides);
      const created = new Set(Object.keys(stack.resources));
      const referenced = referencedResources([
        ...Object.values(stack.resources).map((r) => r.Properties),
        ...Object.values(stack.outputs),
      ]);
      for (const id of referenced)
        expect({ variant, overrides, id, created: created.has(id) }).toMatchObject({ created: true });
    }
  });
});

describe('serverless package: the key', () => {
  it('is created, with its alias, only when kmsKeyId is empty', () => {
    expect(Object.keys(stackOf('created').resources)).toEqual(
      expect.arrayContaining(['RemediatorKey', 'RemediatorKeyAlias']),
    );
    for (const variant of ['keyArn', 'aliasName'] as const) {
      const types = Object.values(stackOf(variant).resources).map((r) => r.Type);
      expect(types).not.toContain('AWS::KMS::Key');
      expect(types).not.toContain('AWS::KMS::Alias');
    }
  });

  it('is a rotating symmetric encryption key, retained on delete and on replacement', () => {
    const key = stackOf('created').resource('RemediatorKey');
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    expect(key.Properties).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EnableKeyRotation: true,
    });
  });

  it('lets IAM manage it and CloudWatch Logs use it for this account’s log groups', () => {
    const key = stackOf('created').resource('RemediatorKey');
    expect(statementsOf(key.Properties.KeyPolicy)).toEqual([
      {
        Sid: 'EnableIamPolicies',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      // The very statement the report recommends as policyFix: one definition of what Logs needs.
      buildLogsPolicyStatement({ partition: 'aws', region: REGION, account: ACCOUNT }),
    ]);
  });

  it('is judged usable for every log group of the account by the project’s own key-policy evaluator', () => {
    const key = stackOf('created').resource('RemediatorKey');
    const parsed = parseKeyPolicy(JSON.stringify({ Statement: statementsOf(key.Properties.KeyPolicy) }));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(assessPolicyScope(parsed.policy, { partition: 'aws', region: REGION, account: ACCOUNT })).toEqual({
      scope: 'all-groups',
    });
  });

  it('is aliased alias/logs-kms-remediator', () => {
    expect(stackOf('created').resource('RemediatorKeyAlias').Properties).toEqual({
      AliasName: 'alias/logs-kms-remediator',
      TargetKeyId: { Ref: 'RemediatorKey' },
    });
  });

  it('takes kmsKeyId into the KmsKeyId parameter, whose pattern rejects what cannot work', () => {
    const parameter = (variant: Variant) => templates[variant].Parameters.KmsKeyId;
    expect(parameter('created')?.Default).toBe('');
    expect(parameter('keyArn')?.Default).toBe(KEY_ARN);
    expect(parameter('aliasName')?.Default).toBe(ALIAS_NAME);
    const pattern = new RegExp(`^(?:${parameter('created')?.AllowedPattern ?? ''})$`);
    const accepted = [
      '',
      KEY_ARN,
      KEY_UUID,
      ALIAS_NAME,
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/x`,
      `mrk-${'a'.repeat(32)}`,
    ];
    for (const value of accepted) expect({ value, ok: pattern.test(value) }).toEqual({ value, ok: true });
    const rejected = [
      'alias/aws/sns',
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/aws/logs`,
      'my-key',
      'arn:aws:sns:x',
    ];
    for (const value of rejected) expect({ value, ok: pattern.test(value) }).toEqual({ value, ok: false });
  });
});

describe('serverless package: the report topic', () => {
  it('is encrypted with the AWS-managed SNS key', () => {
    const topic = stackOf('created').resource('ReportTopic');
    expect(topic.Type).toBe('AWS::SNS::Topic');
    expect(topic.Properties).toMatchObject({
      TopicName: 'logs-kms-remediator-dev-reports',
      KmsMasterKeyId: 'alias/aws/sns',
    });
  });

  it('lets only this account publish and subscribe', () => {
    const policy = stackOf('created').resource('ReportTopicPolicy');
    expect(policy.Properties.Topics).toEqual([{ Ref: 'ReportTopic' }]);
    expect(statementsOf(policy.Properties.PolicyDocument).map(withoutSid)).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: ['sns:Publish', 'sns:Subscribe'],
        Resource: { Ref: 'ReportTopic' },
      },
    ]);
  });

  it('gets an e-mail subscription only when reportEmail is set', () => {
    expect(stackOf('created').resources.ReportEmailSubscription).toBeUndefined();
    const stack = stackOf('created', { ReportEmail: 'ops@example.com' });
    expect(stack.resource('ReportEmailSubscription').Properties).toEqual({
      TopicArn: { Ref: 'ReportTopic' },
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('serverless package: outputs', () => {
  it.each<[Variant, Json]>([
    ['created', CREATED_KEY_ARN],
    ['keyArn', KEY_ARN],
    ['aliasName', ALIAS_NAME],
  ])('name the topic, the key and the function (%s)', (variant, keyArn) => {
    expect(stackOf(variant).outputs).toMatchObject({
      ReportTopicArn: { Ref: 'ReportTopic' },
      KeyArn: keyArn,
      FunctionName: { Ref: FUNCTION_ID },
    });
  });
});
