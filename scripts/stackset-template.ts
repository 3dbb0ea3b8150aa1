/**
 * Turns the template `serverless package` writes into one that AWS CloudFormation StackSets
 * (service-managed permissions) can deploy to every account and region of an organization.
 * A plain file transform: no AWS call, no credentials.
 *
 *   npx serverless package --stage prod
 *   npx tsx scripts/stackset-template.ts \
 *     --in .serverless/cloudformation-template-update-stack.json --out dist/stackset-template.json
 *
 * What it changes, and why (docs/stacksets.md has the whole procedure):
 *   - The function's code lives in the stack's own deployment bucket (ServerlessDeploymentBucket),
 *     which `serverless deploy` creates and fills before the stack; a stack instance created by
 *     StackSets in another account has neither the bucket nor the zip. The bucket and its
 *     policy are removed, and so are the Outputs that name the bucket.
 *   - The function's Code points at template parameters instead: S3Bucket is
 *     `${CodeBucketPrefix}-${AWS::Region}` (Lambda reads the zip from a bucket in its own
 *     region, so there is one bucket per region) and S3Key is `CodeKey`, whose default is
 *     content-addressed: `<service>/<stage>/<sha256 of the zip, hex>/<zip name>`.
 *   - Any literal account id or region left in a resource or output (a name, an ARN) becomes
 *     `${AWS::AccountId}` / `${AWS::Region}`, since one template serves every account and region.
 *     osls 4.3.1 itself writes none (its role name uses Ref AWS::Region); this catches what a
 *     param or a later osls version might bring.
 *   - It refuses what it cannot make portable: a literal account or region in a parameter
 *     default (for this stack, kmsKeyId given as a key ARN), a KmsKeyId default that is a key
 *     id (one key of one account and region), more than one function, or a zip whose SHA-256
 *     is not the one the template's Lambda version expects.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<string, JsonObject>;
  Conditions?: JsonObject;
  Resources: Record<string, JsonObject & { Type: string }>;
  Outputs?: Record<string, JsonObject>;
  [section: string]: Json | undefined;
}

/** The bucket `serverless deploy` creates for the code, and what osls names after it. */
export const DEPLOYMENT_BUCKET = 'ServerlessDeploymentBucket';
export const CODE_BUCKET_PREFIX = 'CodeBucketPrefix';
export const CODE_KEY = 'CodeKey';

/** An AWS account id: twelve digits standing alone (not part of a longer number or word). */
export const ACCOUNT_ID = /\b\d{12}\b/g;
/**
 * Any AWS region name: us-east-1, eu-central-2, ap-southeast-7, us-gov-west-1, cn-northwest-1,
 * us-iso-east-1, us-isob-east-1, eu-isoe-west-1, il-central-1, mx-central-1, ...
 */
export const REGION_NAME =
  /\b(?:af|ap|ca|cn|eu|il|me|mx|sa|us)(?:-gov|-iso[a-z]?)?-(?:central|north|south|east|west|northeast|northwest|southeast|southwest)-\d{1,2}\b/g;

export interface Literal {
  /** Where, as a dotted path: Resources.X.Properties.Y */
  path: string;
  kind: 'account' | 'region';
  value: string;
}

export interface TransformResult {
  template: Template;
  /** Logical ids of the resources removed. */
  removedResources: string[];
  removedOutputs: string[];
  /** The literals replaced with ${AWS::AccountId} / ${AWS::Region}. */
  replaced: Literal[];
  codeKey: string;
  /** Every function's code key, by its parameter (CodeKey, CodeKeyImportFindings...). */
  codeKeys: Record<string, string>;
}

export interface TransformOptions {
  /** The function's zip as packaged; checked against the Lambda version's CodeSha256 when given. */
  zip?: Buffer;
  /** The other functions' zips, by logical id (ImportFindingsLambdaFunction); checked likewise. */
  zips?: Record<string, Buffer>;
  /** S3 key of the zip in every code bucket; default content-addressed (see above). */
  codeKey?: string;
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Does this value refer to the logical id (Ref, Fn::GetAtt, or a ${Id} in Fn::Sub)? */
export function refersTo(value: Json | undefined, logicalId: string): boolean {
  if (Array.isArray(value)) return value.some((item) => refersTo(item, logicalId));
  if (!isObject(value)) return false;
  if (value.Ref === logicalId) return true;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[0] === logicalId) return true;
  if (typeof getAtt === 'string' && getAtt.split('.')[0] === logicalId) return true;
  const sub = value['Fn::Sub'];
  const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
  if (typeof text === 'string') {
    for (const [, name] of text.matchAll(/\$\{([^}!]+)\}/g)) {
      if (name?.split('.')[0] === logicalId) return true;
    }
  }
  return Object.values(value).some((item) => refersTo(item, logicalId));
}

/** Every literal account id and region name in the template's strings (keys excluded). */
export function findLiterals(template: Template): Literal[] {
  const found: Literal[] = [];
  const walk = (value: Json | undefined, at: string): void => {
    if (typeof value === 'string') {
      for (const [match] of value.matchAll(ACCOUNT_ID))
        found.push({ path: at, kind: 'account', value: match });
      for (const [match] of value.matchAll(REGION_NAME))
        found.push({ path: at, kind: 'region', value: match });
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, `${at}[${index}]`);
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) walk(item, `${at}.${key}`);
    }
  };
  for (const [section, value] of Object.entries(template)) walk(value, section);
  return found;
}

/**
 * `value` with every literal account id and region in its strings replaced by the pseudo
 * parameter, turning plain strings into Fn::Sub. Names of resources, conditions and
 * attributes (Ref, Fn::GetAtt, Fn::If's first element, Condition) are left alone.
 */
function portable(value: Json, at: string, replaced: Literal[]): Json {
  const substitute = (text: string, where: string): string =>
    text
      .replace(ACCOUNT_ID, (match) => {
        replaced.push({ path: where, kind: 'account', value: match });
        return `\${AWS::AccountId}`;
      })
      .replace(REGION_NAME, (match) => {
        replaced.push({ path: where, kind: 'region', value: match });
        return `\${AWS::Region}`;
      });
  const hasLiteral = (text: string) =>
    new RegExp(ACCOUNT_ID.source).test(text) || new RegExp(REGION_NAME.source).test(text);

  if (typeof value === 'string') {
    if (!hasLiteral(value)) return value;
    // A plain string becomes an Fn::Sub template: its own "${" must stay literal ("${!").
    return { 'Fn::Sub': substitute(value.replaceAll('${', '${!'), at) };
  }
  if (Array.isArray(value)) return value.map((item, index) => portable(item, `${at}[${index}]`, replaced));
  if (!isObject(value)) return value;

  const keys = Object.keys(value);
  const fn = keys.length === 1 ? keys[0] : undefined;
  const arg = fn === undefined ? undefined : value[fn];
  switch (fn) {
    case 'Ref':
    case 'Fn::GetAtt':
    case 'Condition':
      return value;
    case 'Fn::If':
      if (Array.isArray(arg) && arg.length === 3) {
        const [condition, whenTrue, whenFalse] = arg as [Json, Json, Json];
        return {
          'Fn::If': [
            condition,
            portable(whenTrue, `${at}.Fn::If[1]`, replaced),
            portable(whenFalse, `${at}.Fn::If[2]`, replaced),
          ],
        };
      }
      break;
    case 'Fn::Sub':
      // Already a template: the literal becomes a placeholder in place.
      if (typeof arg === 'string') return { 'Fn::Sub': substitute(arg, `${at}.Fn::Sub`) };
      if (Array.isArray(arg) && typeof arg[0] === 'string' && isObject(arg[1])) {
        const variables: JsonObject = {};
        for (const [name, item] of Object.entries(arg[1])) {
          variables[name] = portable(item, `${at}.Fn::Sub[1].${name}`, replaced);
        }
        return { 'Fn::Sub': [substitute(arg[0], `${at}.Fn::Sub[0]`), variables] };
      }
      break;
  }
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) result[key] = portable(item, `${at}.${key}`, replaced);
  return result;
}

/** The remediator: its code key keeps the name CodeKey. */
const MAIN_FUNCTION = 'RemediateLambdaFunction';

/** CodeKey for the remediator, CodeKey<Name> for another function (<Name>LambdaFunction). */
export function codeKeyParameter(functionId: string): string {
  return functionId === MAIN_FUNCTION ? CODE_KEY : `${CODE_KEY}${functionId.replace(/LambdaFunction$/, '')}`;
}

/** Point one function's Code at the code bucket and its key parameter; the key's default. */
function pointCodeAt(
  resources: Record<string, JsonObject>,
  functionId: string,
  fn: JsonObject,
  parameter: string,
  given: { zip: Buffer | undefined; codeKey: string | undefined },
): string {
  const properties = fn.Properties;
  const code = isObject(properties) ? properties.Code : undefined;
  if (!isObject(properties) || !isObject(code) || !refersTo(code.S3Bucket, DEPLOYMENT_BUCKET)) {
    throw new Error(`${functionId}.Properties.Code does not come from ${DEPLOYMENT_BUCKET}`);
  }
  const packagedKey = String(code.S3Key ?? '');
  const zipName = path.posix.basename(packagedKey);
  // serverless/<service>/<stage>/<timestamp>/<zip>
  const [, service, stage] = packagedKey.split('/');
  const version = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Version' &&
      isObject(r.Properties) &&
      refersTo(r.Properties.FunctionName, functionId),
  );
  const expectedSha = isObject(version?.Properties) ? version.Properties.CodeSha256 : undefined;
  const zipSha = given.zip ? createHash('sha256').update(given.zip).digest('base64') : undefined;
  if (zipSha !== undefined && typeof expectedSha === 'string' && zipSha !== expectedSha) {
    throw new Error(
      `the zip's SHA-256 (${zipSha}) is not the CodeSha256 of the template's Lambda version (${expectedSha}): ` +
        'package again and use the zip and the template of the same run',
    );
  }
  const sha = zipSha ?? (typeof expectedSha === 'string' ? expectedSha : undefined);
  if (sha === undefined && given.codeKey === undefined) {
    throw new Error('cannot name the code by its SHA-256: give --zip or --code-key');
  }
  properties.Code = {
    S3Bucket: { 'Fn::Sub': `\${${CODE_BUCKET_PREFIX}}-\${AWS::Region}` },
    S3Key: { Ref: parameter },
  };
  return given.codeKey ?? `${service}/${stage}/${base64ToHex(sha as string)}/${zipName}`;
}

const base64ToHex = (base64: string) => Buffer.from(base64, 'base64').toString('hex');

export function toStackSetTemplate(packaged: Template, options: TransformOptions = {}): TransformResult {
  const template = clone(packaged);
  const resources = template.Resources;
  const removedResources: string[] = [];
  const removedOutputs: string[] = [];

  // 1. The deployment bucket, its policy, and the outputs that name it.
  if (!(DEPLOYMENT_BUCKET in resources)) {
    throw new Error(`no ${DEPLOYMENT_BUCKET} in the template: is it the one \`serverless package\` wrote?`);
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (
      id === DEPLOYMENT_BUCKET ||
      (resource.Type === 'AWS::S3::BucketPolicy' && refersTo(resource, DEPLOYMENT_BUCKET))
    ) {
      delete resources[id];
      removedResources.push(id);
    }
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (refersTo(output, DEPLOYMENT_BUCKET)) {
      delete template.Outputs?.[name];
      removedOutputs.push(name);
    }
  }

  // 2. Each function's code: from the per-region code bucket, at CodeKey (the remediator's) or
  // CodeKey<Function> (any other, e.g. CodeKeyImportFindings).
  const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
  if (!functions.some(([id]) => id === MAIN_FUNCTION)) {
    throw new Error(
      `expected the AWS::Lambda::Function ${MAIN_FUNCTION}, found ${functions.map(([id]) => id).join(', ') || 'none'}`,
    );
  }
  const codeKeys: Record<string, string> = {};
  for (const [functionId, fn] of functions) {
    const parameter = codeKeyParameter(functionId);
    const zip = functionId === MAIN_FUNCTION ? options.zip : options.zips?.[functionId];
    const key = functionId === MAIN_FUNCTION ? options.codeKey : undefined;
    codeKeys[parameter] = pointCodeAt(resources, functionId, fn, parameter, { zip, codeKey: key });
  }
  const codeKey = codeKeys[CODE_KEY] as string;

  const leftover = Object.keys(resources).filter((id) => refersTo(resources[id], DEPLOYMENT_BUCKET));
  if (leftover.length > 0) throw new Error(`still referring to ${DEPLOYMENT_BUCKET}: ${leftover.join(', ')}`);

  // 3. Parameters: the code's location; and no default that only works in one account or region.
  template.Parameters = {
    ...template.Parameters,
    [CODE_BUCKET_PREFIX]: {
      Type: 'String',
      Description:
        'Code buckets are <prefix>-<region>, one per region deployed to, readable by the organization.',
      // S3 bucket naming rules, leaving room for "-<region>" within 63 characters.
      AllowedPattern: '^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$',
      ConstraintDescription: 'lowercase letters, digits, dots and hyphens; 3 to 42 characters',
    },
    ...Object.fromEntries(
      Object.entries(codeKeys).map(([parameter, key]) => [
        parameter,
        {
          Type: 'String',
          Default: key,
          Description: `S3 key of the function's zip in every code bucket (default: named by its SHA-256).`,
          MinLength: 1,
        },
      ]),
    ),
  };
  const kmsKeyId = template.Parameters.KmsKeyId?.Default;
  if (typeof kmsKeyId === 'string' && /^(?:mrk-)?[0-9a-f-]{32,36}$/.test(kmsKeyId)) {
    throw new Error(
      `KmsKeyId defaults to the key id ${kmsKeyId}, a key of one account and region: package without ` +
        'kmsKeyId (each stack instance creates its key) or with an alias name present everywhere',
    );
  }
  const parameterLiterals = findLiterals({ Resources: {}, Parameters: template.Parameters });
  if (parameterLiterals.length > 0) {
    const where = parameterLiterals.map((l) => `${l.path} (${l.value})`).join(', ');
    throw new Error(
      `parameter defaults hold a literal account id or region, which cannot be made portable: ${where}. ` +
        'For KmsKeyId: package without kmsKeyId, or with an alias name (alias/x) present in every account and region',
    );
  }

  // 4. Literal accounts and regions in resources and outputs.
  const replaced: Literal[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Properties !== undefined) {
      resource.Properties = portable(resource.Properties, `Resources.${id}.Properties`, replaced);
    }
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    const outputs = template.Outputs as Record<string, JsonObject>;
    outputs[name] = portable(output, `Outputs.${name}`, replaced) as JsonObject;
  }

  const left = findLiterals(template);
  if (left.length > 0) {
    throw new Error(
      `literal account ids or regions left: ${left.map((l) => `${l.path} (${l.value})`).join(', ')}`,
    );
  }

  template.Description = `${template.Description ?? ''} (for CloudFormation StackSets)`.trim();
  return { template, removedResources, removedOutputs, replaced, codeKey, codeKeys };
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      in: { type: 'string' },
      out: { type: 'string' },
      zip: { type: 'string' },
      'code-key': { type: 'string' },
    },
    strict: true,
  });
  if (!values.in || !values.out) {
    throw new Error(
      'usage: tsx scripts/stackset-template.ts --in <packaged template.json> --out <file.json> [--zip <zip>] [--code-key <key>]',
    );
  }
  const packaged = JSON.parse(readFileSync(values.in, 'utf8')) as Template;
  // By default the zip next to the template, as `serverless package` leaves it.
  const fn = packaged.Resources?.[MAIN_FUNCTION];
  const code = isObject(fn?.Properties) ? fn.Properties.Code : undefined;
  const zipName =
    isObject(code) && typeof code.S3Key === 'string' ? path.posix.basename(code.S3Key) : undefined;
  const zipPath = values.zip ?? (zipName ? path.join(path.dirname(values.in), zipName) : undefined);
  const zip = zipPath && existsSync(zipPath) ? readFileSync(zipPath) : undefined;
  if (values.zip && !zip) throw new Error(`no zip at ${values.zip}`);

  const zips = otherZips(packaged, path.dirname(values.in));
  const result = toStackSetTemplate(packaged, {
    ...(zip ? { zip } : {}),
    zips,
    ...(values['code-key'] ? { codeKey: values['code-key'] } : {}),
  });
  mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
  // Compact: `create-stack-set --template-body` takes at most 51,200 bytes, and indentation is a third of it.
  writeFileSync(values.out, `${JSON.stringify(result.template)}\n`);

  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`wrote ${values.out}`);
  log(`  removed resources: ${result.removedResources.join(', ')}`);
  log(`  removed outputs:   ${result.removedOutputs.join(', ') || '(none)'}`);
  for (const l of result.replaced) log(`  replaced ${l.kind} ${l.value} at ${l.path}`);
  log(`  zip:               ${zip ? `${zipPath} (SHA-256 checked)` : '(not found; not checked)'}`);
  for (const key of Object.values(result.codeKeys)) {
    log(`  upload it to s3://<CodeBucketPrefix>-<region>/${key} in every region`);
  }
}

/** The zips of the functions other than the remediator, next to the template, by logical id. */
function otherZips(packaged: Template, dir: string): Record<string, Buffer> {
  const zips: Record<string, Buffer> = {};
  for (const [id, r] of Object.entries(packaged.Resources ?? {})) {
    const code = r.Type === 'AWS::Lambda::Function' && isObject(r.Properties) ? r.Properties.Code : undefined;
    if (id === MAIN_FUNCTION || !isObject(code) || typeof code.S3Key !== 'string') continue;
    const zipPath = path.join(dir, path.posix.basename(code.S3Key));
    if (existsSync(zipPath)) zips[id] = readFileSync(zipPath);
  }
  return zips;
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`stackset-template: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
