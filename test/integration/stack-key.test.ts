/**
 * The key the stack creates really lets CloudWatch Logs encrypt this account's log groups.
 * Its key policy, exactly as `serverless package` writes it (Fn::Sub resolved for account
 * 123456789012, region us-east-1, partition aws), is given to a key in the emulator, which
 * evaluates key policies on AssociateKmsKey the way CloudWatch Logs does.
 */
import { AssociateKmsKeyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ACCOUNT, createGroups, createKey, REGION, readGroupKey } from '../support/aws-seed';
import { type JsonObject, Stack, statementsOf, TEST_PLACE } from '../support/cfn-stack';
import { useEmulator } from '../support/emulator-harness';
import { usePackagedStacks } from '../support/package-stack';

const h = useEmulator();
const packaged = usePackagedStacks({ created: {} });

/** The created key's policy as deployed in account 123456789012, us-east-1. */
function packagedKeyPolicy(): JsonObject {
  expect(TEST_PLACE).toEqual({ account: ACCOUNT, region: REGION, partition: 'aws' });
  const policy = new Stack(packaged.created.template).resource('RemediatorKey').Properties.KeyPolicy;
  const text = JSON.stringify(policy);
  // Fully resolved: no intrinsic function or placeholder left.
  expect(text).not.toMatch(/Fn::|"Ref"|\$\{/);
  return policy as JsonObject;
}

// Two groups the policy knows nothing particular about: any group of the account will do.
const GROUPS = ['/aws/rds/instance/orders-db/general', `/team-x/app-${Date.now()}/audit`];

beforeEach(async () => {
  await h.em.reset();
});

describe('the key the stack creates, in the emulator', () => {
  it('lets CloudWatch Logs encrypt any log group of the account', async () => {
    const policy = packagedKeyPolicy();
    const keyArn = await createKey(h.aws.kms, { policy: JSON.stringify(policy) });
    await createGroups(h.aws.logs, GROUPS);

    for (const logGroupName of GROUPS) {
      await h.aws.logs.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId: keyArn }));
    }

    for (const logGroupName of GROUPS) expect(await readGroupKey(h.aws.logs, logGroupName)).toBe(keyArn);
  });

  it('would not without its CloudWatch Logs statement (the emulator does check the policy)', async () => {
    const policy = packagedKeyPolicy();
    const withoutLogs = {
      ...policy,
      Statement: statementsOf(policy).filter((statement) => statement.Sid === 'EnableIamPolicies'),
    };
    expect(withoutLogs.Statement).toHaveLength(1);
    const keyArn = await createKey(h.aws.kms, { policy: JSON.stringify(withoutLogs) });
    await createGroups(h.aws.logs, GROUPS);

    for (const logGroupName of GROUPS) {
      await expect(
        h.aws.logs.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId: keyArn })),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
      expect(await readGroupKey(h.aws.logs, logGroupName)).toBeUndefined();
    }
  });
});
