/**
 * KMS adapter for the operator's CLI only: replaces a key's policy, on the operator's credentials.
 * The function never imports it and its role is never granted the action: its line below says
 * `CLI IAM`, not `IAM`, and test/unit/template.test.ts and architecture.test.ts hold both.
 *
 * CLI IAM: kms:PutKeyPolicy
 */
import { type KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import type { KeyPolicyPort } from '../core/ports';
import { callAws } from './errors';

export function createKeyPolicyWriter(client: KMSClient): KeyPolicyPort {
  return {
    async putKeyPolicy(keyArn, document) {
      await callAws('PutKeyPolicy', () =>
        client.send(
          new PutKeyPolicyCommand({
            KeyId: keyArn,
            // The only policy name KMS supports.
            PolicyName: 'default',
            Policy: document,
            // Never bypassed: KMS then rejects (MalformedPolicyDocumentException) a policy that would stop the
            // caller from making a later PutKeyPolicy request (KMS API Reference, PutKeyPolicy, Policy and
            // BypassPolicyLockoutSafetyCheck; KMS Developer Guide, key-policy-default.html#prevent-unmanageable-key).
            BypassPolicyLockoutSafetyCheck: false,
          }),
        ),
      );
    },
  };
}
