/**
 * KMS adapter: the facts the key check needs, in three calls at most; for the audit of a key that
 * groups already use, two at most. The audit's calls reach keys other than the target, in this
 * region only (serverless.yml says why).
 *
 * IAM: kms:DescribeKey
 * IAM: kms:GetKeyPolicy
 * IAM: kms:GetKeyRotationStatus
 */
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { KeysPort } from '../core/ports';
import type { KeyFacts } from '../core/types';
import { callAws, toAwsCallError } from './errors';

type Metadata = NonNullable<Awaited<ReturnType<typeof describe>>>;

export function createKeysAdapter(client: KMSClient): KeysPort {
  return {
    async readKeyFacts(keyId): Promise<KeyFacts> {
      const described = await tryDescribe(client, keyId);
      if (!described.ok) return described.facts;
      const arn = described.metadata.Arn ?? keyId;
      const [policy, rotationEnabled] = await Promise.all([
        readPolicy(client, arn),
        readRotation(client, arn),
      ]);
      return { ...factsOf(keyId, arn, described.metadata), rotationEnabled, policy };
    },
    async readKeyInUse(keyArn, { readPolicy: withPolicy }): Promise<KeyFacts> {
      const described = await tryDescribe(client, keyArn);
      if (!described.ok) return described.facts;
      const arn = described.metadata.Arn ?? keyArn;
      const policy: Extract<KeyFacts, { found: true }>['policy'] = withPolicy
        ? await readPolicy(client, arn)
        : {
            readable: false,
            errorCode: 'CrossAccount',
            message: 'GetKeyPolicy cannot be called on a key of another account',
          };
      return { ...factsOf(keyArn, arn, described.metadata), rotationEnabled: undefined, policy };
    },
  };
}

async function tryDescribe(
  client: KMSClient,
  keyId: string,
): Promise<{ ok: true; metadata: Metadata } | { ok: false; facts: KeyFacts }> {
  try {
    return { ok: true, metadata: await describe(client, keyId) };
  } catch (error) {
    const e = toAwsCallError('DescribeKey', error);
    const transient = e.kind === 'throttled';
    return {
      ok: false,
      facts: { found: false, requested: keyId, errorCode: e.code, message: e.awsMessage, transient },
    };
  }
}

function factsOf(requested: string, arn: string, metadata: Metadata) {
  return {
    found: true as const,
    requested,
    arn,
    state: metadata.KeyState ?? 'Unknown',
    keySpec: metadata.KeySpec ?? 'Unknown',
    keyUsage: metadata.KeyUsage ?? 'Unknown',
    keyManager: metadata.KeyManager ?? 'Unknown',
    ...(metadata.DeletionDate ? { deletionDate: metadata.DeletionDate.toISOString() } : {}),
  };
}

async function describe(client: KMSClient, keyId: string) {
  // DescribeKey accepts an id, a key ARN, an alias name or an alias ARN and answers with the key ARN.
  const result = await callAws('DescribeKey', () => client.send(new DescribeKeyCommand({ KeyId: keyId })));
  if (!result.KeyMetadata) throw new Error('DescribeKey returned no KeyMetadata');
  return result.KeyMetadata;
}

async function readPolicy(
  client: KMSClient,
  keyArn: string,
): Promise<Extract<KeyFacts, { found: true }>['policy']> {
  try {
    // A key has exactly one policy, always named "default".
    const result = await client.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }));
    return { readable: true, document: result.Policy ?? '' };
  } catch (error) {
    const e = toAwsCallError('GetKeyPolicy', error);
    return { readable: false, errorCode: e.code, message: e.awsMessage };
  }
}

async function readRotation(client: KMSClient, keyArn: string): Promise<boolean | undefined> {
  try {
    const result = await client.send(new GetKeyRotationStatusCommand({ KeyId: keyArn }));
    return result.KeyRotationEnabled ?? false;
  } catch {
    // Asymmetric keys answer UnsupportedOperationException; a denied read is just as unknown.
    return undefined;
  }
}
