/**
 * The StackSets roll-out (docs/stacksets.md): `serverless package --stage prod`, then
 * scripts/stackset-template.ts, run as the docs run it. One template must serve every account
 * and region of an organization, so it may hold no literal account id or region, and it cannot
 * take its code from the stack's own deployment bucket. The packaged template is checked too:
 * its only problems are the deployment-bucket ones the transform exists to fix.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Template as ScriptTemplate, toStackSetTemplate } from '../../scripts/stackset-template';
import { cfnLint } from '../support/cfn-lint';
import { isObject, type Json, Stack, statementsOf, type Template } from '../support/cfn-stack';
import { ROOT, usePackagedStacks } from '../support/package-stack';

const execFileAsync = promisify(execFile);

const packaged = usePackagedStacks({ prod: { stage: 'prod', region: 'us-east-1' } });

const BUCKET = 'ServerlessDeploymentBucket';
const FUNCTION_ID = 'RemediateLambdaFunction';
/** The findings function (Security Hub): its own zip, at CodeKeyImportFindings. */
const FINDINGS_FUNCTION_ID = 'ImportFindingsLambdaFunction';

/** Twelve digits standing alone: an account id. */
const ACCOUNT_LITERAL = /\b\d{12}\b/g;
/**
 * Every shape of AWS region name: <area>[-gov|-iso|-isob|-isoe|-isof]-<direction>-<n>, e.g.
 * us-east-1, ap-southeast-7, us-gov-west-1, cn-northwest-1, us-isob-east-1, il-central-1.
 */
const REGION_LITERAL =
  /\b(?:af|ap|ca|cn|eu|il|me|mx|sa|us)(?:-gov|-iso[a-z]?)?-(?:central|(?:north|south)(?:east|west)?|east|west)-\d+\b/g;

/** What keeps a template from serving every account and region, as "<where>: <what>". */
function portabilityFindings(template: Template): string[] {
  const findings = new Set<string>();
  // Where a finding is reported: the resource's property, or the output, it is in.
  const place = (path: string[]) => path.slice(0, path[0] === 'Resources' ? 4 : 3).join('.');
  const walk = (value: Json | undefined, path: string[]): void => {
    if (typeof value === 'string') {
      for (const [match] of value.matchAll(ACCOUNT_LITERAL)) findings.add(`${place(path)}: account ${match}`);
      for (const [match] of value.matchAll(REGION_LITERAL)) findings.add(`${place(path)}: region ${match}`);
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, [...path, String(index)]);
    } else if (isObject(value)) {
      const getAtt = value['Fn::GetAtt'];
      const sub = value['Fn::Sub'];
      if (
        value.Ref === BUCKET ||
        (Array.isArray(getAtt) && getAtt[0] === BUCKET) ||
        (typeof sub === 'string' && sub.includes(`\${${BUCKET}`))
      ) {
        findings.add(`${place(path)}: refers to the deployment bucket`);
      }
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::S3::Bucket') findings.add(`Resources.${id}: a bucket of the stack's own`);
  }
  for (const [section, value] of Object.entries(template)) walk(value as Json, [section]);
  return [...findings].sort();
}

let workDir: string;
let outPath: string;
let transformed: Template;
let scriptOutput: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'lkr-stackset-'));
  outPath = join(workDir, 'dist', 'stackset-template.json');
  // As docs/stacksets.md runs it.
  const { stderr } = await execFileAsync(
    'npx',
    ['--no', 'tsx', 'scripts/stackset-template.ts', '--in', packaged.prod.templatePath, '--out', outPath],
    { cwd: ROOT, timeout: 60_000 },
  );
  scriptOutput = stderr;
  transformed = JSON.parse(readFileSync(outPath, 'utf8'));
}, 60_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('the packaged template, as `serverless package` writes it', () => {
  it('cannot go to StackSets: its code is in the deployment bucket of the stack, and only that', () => {
    // No literal account or region: osls 4.3.1 names the role with Ref AWS::Region (below),
    // and everything else uses pseudo parameters. The bucket is the whole problem.
    expect(portabilityFindings(packaged.prod.template)).toEqual([
      'Outputs.ServerlessDeploymentBucketName.Value: refers to the deployment bucket',
      `Resources.${FINDINGS_FUNCTION_ID}.Properties.Code: refers to the deployment bucket`,
      `Resources.${FUNCTION_ID}.Properties.Code: refers to the deployment bucket`,
      "Resources.ServerlessDeploymentBucket: a bucket of the stack's own",
      'Resources.ServerlessDeploymentBucketPolicy.Properties.Bucket: refers to the deployment bucket',
      'Resources.ServerlessDeploymentBucketPolicy.Properties.PolicyDocument: refers to the deployment bucket',
    ]);
  });

  it('names the function role per region with Ref AWS::Region, not a literal region', () => {
    const role = packaged.prod.template.Resources.IamRoleLambdaExecution;
    expect(role?.Properties.RoleName).toEqual({
      'Fn::Join': ['-', ['logs-kms-remediator', 'prod', { Ref: 'AWS::Region' }, 'lambdaRole']],
    });
  });

  it('is what the findings above are about: the script spots the same literals when there are some', () => {
    // Older tooling wrote the region into the role name; the transform turns it into a
    // placeholder (IAM is global: a literal would collide, and be wrong, in other regions).
    const template = structuredClone(packaged.prod.template);
    const role = template.Resources.IamRoleLambdaExecution;
    if (!role) throw new Error('no role');
    role.Properties.RoleName = 'logs-kms-remediator-prod-us-east-1-lambdaRole';
    role.Properties.Description = `Role of 123456789012 in eu-west-1 (\${literal})`;
    expect(portabilityFindings(template)).toEqual(
      expect.arrayContaining([
        'Resources.IamRoleLambdaExecution.Properties.RoleName: region us-east-1',
        'Resources.IamRoleLambdaExecution.Properties.Description: account 123456789012',
        'Resources.IamRoleLambdaExecution.Properties.Description: region eu-west-1',
      ]),
    );
    const result = toStackSetTemplate(template as unknown as ScriptTemplate);
    const fixed = result.template.Resources.IamRoleLambdaExecution?.Properties as Record<string, Json>;
    expect(fixed.RoleName).toEqual({ 'Fn::Sub': `logs-kms-remediator-prod-\${AWS::Region}-lambdaRole` });
    expect(fixed.Description).toEqual({
      'Fn::Sub': `Role of \${AWS::AccountId} in \${AWS::Region} (\${!literal})`,
    });
    expect(result.replaced.map((r) => `${r.kind} ${r.value}`).sort()).toEqual([
      'account 123456789012',
      'region eu-west-1',
      'region us-east-1',
    ]);
    expect(portabilityFindings(result.template as unknown as Template)).toEqual([]);
  });
});

describe('scripts/stackset-template.ts', () => {
  it('leaves nothing that ties the template to one account or region, and no deployment bucket', () => {
    expect(portabilityFindings(transformed)).toEqual([]);
    const text = JSON.stringify(transformed);
    expect(text.match(ACCOUNT_LITERAL)).toBeNull();
    expect(text.match(REGION_LITERAL)).toBeNull();
    expect(text).not.toContain(BUCKET);
    expect(Object.values(transformed.Resources).map((r) => r.Type)).not.toContain('AWS::S3::Bucket');
    expect(Object.values(transformed.Resources).map((r) => r.Type)).not.toContain('AWS::S3::BucketPolicy');
    expect(Object.keys(transformed.Outputs)).not.toContain('ServerlessDeploymentBucketName');
  });

  it('takes the code from <CodeBucketPrefix>-<region>, at CodeKey, named by the zip’s SHA-256', () => {
    expect(transformed.Resources[FUNCTION_ID]?.Properties.Code).toEqual({
      S3Bucket: { 'Fn::Sub': `\${CodeBucketPrefix}-\${AWS::Region}` },
      S3Key: { Ref: 'CodeKey' },
    });
    expect(transformed.Parameters.CodeBucketPrefix).toMatchObject({ Type: 'String' });
    expect(transformed.Parameters.CodeBucketPrefix?.Default).toBeUndefined();
    expect(transformed.Parameters.CodeKey).toMatchObject({
      Type: 'String',
      Default: `logs-kms-remediator/prod/${sha256Hex(packaged.prod.zip)}/remediate.zip`,
    });
    expect(scriptOutput).toContain('SHA-256 checked');
  });

  it('takes the findings function’s code from the same buckets, at CodeKeyImportFindings', () => {
    expect(transformed.Resources[FINDINGS_FUNCTION_ID]?.Properties.Code).toEqual({
      S3Bucket: { 'Fn::Sub': `\${CodeBucketPrefix}-\${AWS::Region}` },
      S3Key: { Ref: 'CodeKeyImportFindings' },
    });
    expect(transformed.Parameters.CodeKeyImportFindings?.Default).toMatch(
      /^logs-kms-remediator\/prod\/[0-9a-f]{64}\/importFindings\.zip$/,
    );
    expect(scriptOutput).toContain('importFindings.zip in every region');
  });

  it('changes nothing else', () => {
    const before = packaged.prod.template;
    const removed = ['ServerlessDeploymentBucket', 'ServerlessDeploymentBucketPolicy'];
    expect(Object.keys(transformed.Resources).sort()).toEqual(
      Object.keys(before.Resources)
        .filter((id) => !removed.includes(id))
        .sort(),
    );
    for (const [id, resource] of Object.entries(transformed.Resources)) {
      if (id === FUNCTION_ID || id === FINDINGS_FUNCTION_ID) {
        const { Code: _after, ...rest } = resource.Properties;
        const { Code: _before, ...restBefore } = before.Resources[id]?.Properties ?? {};
        expect(rest).toEqual(restBefore);
      } else {
        expect({ id, resource }).toEqual({ id, resource: before.Resources[id] });
      }
    }
    const { ServerlessDeploymentBucketName: _bucket, ...outputs } = before.Outputs;
    expect(transformed.Outputs).toEqual(outputs);
    expect(transformed.Conditions).toEqual(before.Conditions);
  });

  it('deploys as one stack per account and region: another account, another region', () => {
    const stack = new Stack(
      transformed,
      { CodeBucketPrefix: 'example-org-lkr-code' },
      {
        account: '210987654321',
        region: 'eu-west-2',
        partition: 'aws',
      },
    );
    expect(stack.resource(FUNCTION_ID).Properties.Code).toEqual({
      S3Bucket: 'example-org-lkr-code-eu-west-2',
      S3Key: transformed.Parameters.CodeKey?.Default,
    });
    expect(stack.resource('IamRoleLambdaExecution').Properties.RoleName).toBe(
      'logs-kms-remediator-prod-eu-west-2-lambdaRole',
    );
    expect(stack.resource('Dashboard').Properties.DashboardName).toBe('logs-kms-remediator-prod-eu-west-2');
    expect(statementsOf(stack.resource('RemediatorKey').Properties.KeyPolicy)[0]?.Principal).toEqual({
      AWS: 'arn:aws:iam::210987654321:root',
    });
  });

  it('keeps role names within IAM’s 64 characters in every region', () => {
    const longest = 'ap-southeast-7'; // as long as any region name today (14 characters)
    const stack = new Stack(transformed, {}, { account: '210987654321', region: longest, partition: 'aws' });
    const name = String(stack.resource('IamRoleLambdaExecution').Properties.RoleName);
    expect(name).toBe(`logs-kms-remediator-prod-${longest}-lambdaRole`);
    expect(name.length).toBeLessThanOrEqual(64);
  });

  it('fits the 51,200 bytes of `create-stack-set --template-body`', () => {
    const size = readFileSync(outPath).length;
    expect(size).toBeLessThan(51_200);
    console.log(`StackSets template: ${size} bytes of 51,200`);
  });

  it('passes cfn-lint, no rule suppressed', async () => {
    expect(await cfnLint(outPath)).toEqual({ exitCode: 0, output: '' });
  });

  it('is, run from the command line, the transform the module exports', () => {
    const inProcess = toStackSetTemplate(packaged.prod.template as unknown as ScriptTemplate, {
      zip: packaged.prod.zip,
    });
    expect(transformed).toEqual(inProcess.template);
    expect(inProcess.removedResources.sort()).toEqual([
      'ServerlessDeploymentBucket',
      'ServerlessDeploymentBucketPolicy',
    ]);
    expect(inProcess.removedOutputs).toEqual(['ServerlessDeploymentBucketName']);
    expect(inProcess.replaced).toEqual([]);
  });

  describe('refuses what cannot be made portable', () => {
    const withKmsKeyId = (kmsKeyId: string) => {
      const template = structuredClone(packaged.prod.template) as unknown as ScriptTemplate;
      const parameter = template.Parameters?.KmsKeyId;
      if (!parameter) throw new Error('no KmsKeyId parameter');
      parameter.Default = kmsKeyId;
      return template;
    };

    it.each([
      ['a key ARN', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
      ['an alias ARN', 'arn:aws:kms:us-east-1:111122223333:alias/my-logs-key'],
      ['a key id', '1234abcd-12ab-34cd-56ef-1234567890ab'],
      ['a multi-Region key id', 'mrk-1234abcd12ab34cd56ef1234567890ab'],
    ])('kmsKeyId given as %s: tied to one account and region', (_form, kmsKeyId) => {
      expect(() => toStackSetTemplate(withKmsKeyId(kmsKeyId))).toThrow(/KmsKeyId/);
    });

    it('but takes an alias name, which each account and region can define', () => {
      const result = toStackSetTemplate(withKmsKeyId('alias/my-logs-key'));
      expect(result.template.Parameters?.KmsKeyId?.Default).toBe('alias/my-logs-key');
    });

    it('a zip that is not the one the template was packaged with', () => {
      const template = packaged.prod.template as unknown as ScriptTemplate;
      expect(() => toStackSetTemplate(template, { zip: Buffer.from('another build') })).toThrow(/SHA-256/);
    });

    it('a template without the deployment bucket (already transformed, or not from osls)', () => {
      expect(() => toStackSetTemplate(transformed as unknown as ScriptTemplate)).toThrow(BUCKET);
    });
  });
});
