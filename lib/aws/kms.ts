/**
 * KMS adapter: the facts the key check needs, in three calls at most.
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

export function createKeysAdapter(client: KMSClient): KeysPort {
  return {
    async readKeyFacts(keyId): Promise<KeyFacts> {
      let metadata: NonNullable<Awaited<ReturnType<typeof describe>>>;
      try {
        metadata = await describe(client, keyId);
      } catch (error) {
        const e = toAwsCallError('DescribeKey', error);
        const transient = e.kind === 'throttled';
        return { found: false, requested: keyId, errorCode: e.code, message: e.awsMessage, transient };
      }
      const arn = metadata.Arn ?? keyId;
      const [policy, rotationEnabled] = await Promise.all([
        readPolicy(client, arn),
        readRotation(client, arn),
      ]);
      return {
        found: true,
        requested: keyId,
        arn,
        state: metadata.KeyState ?? 'Unknown',
        keySpec: metadata.KeySpec ?? 'Unknown',
        keyUsage: metadata.KeyUsage ?? 'Unknown',
        keyManager: metadata.KeyManager ?? 'Unknown',
        rotationEnabled,
        policy,
      };
    },
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
