/**
 * Pure: what a failed AssociateKmsKey means for its group, and whether the key policy refused it.
 */
import { AwsCallError } from './errors';
import type { KeyAssessment } from './key-check';
import { logsServicePrincipal } from './key-policy';
import type { GroupOutcome, LogGroup } from './types';

export interface ClassifiedFailure {
  outcome: GroupOutcome;
  /** True when the key policy refused: only then does the key-policy statement mend it. */
  keyPolicy: boolean;
}

/** Map a per-group failure to its outcome. Never throws. */
export function classifyGroupFailure(error: unknown, group: LogGroup, key: KeyAssessment): ClassifiedFailure {
  const logGroupName = group.logGroupName;
  if (!(error instanceof AwsCallError)) {
    return {
      outcome: { outcome: 'failed', logGroupName, errorCode: 'InternalError', message: String(error) },
      keyPolicy: false,
    };
  }
  const failed = (message: string): GroupOutcome => ({
    outcome: 'failed',
    logGroupName,
    errorCode: error.code,
    message,
  });
  switch (error.kind) {
    case 'not-found':
      return {
        outcome: { outcome: 'skipped', logGroupName, reason: 'group-deleted', message: error.awsMessage },
        keyPolicy: false,
      };
    case 'access-denied': {
      const role = diagnoseRoleDenial(error);
      if (role) return { outcome: failed(role), keyPolicy: false };
      return { outcome: failed(diagnoseKeyPolicyDenial(error, group, key)), keyPolicy: true };
    }
    default:
      return { outcome: failed(error.awsMessage), keyPolicy: false };
  }
}

/**
 * IAM's denials read "User: <principal ARN> is not authorized to perform: <action> on resource: …"
 * (IAM User Guide, "Troubleshoot access denied error messages"); the key policy's come back from
 * CloudWatch Logs as "The specified KMS key does not exist or is not allowed to be used with …".
 * Undefined when it is not IAM's.
 */
function diagnoseRoleDenial(error: AwsCallError): string | undefined {
  if (!/not authorized to perform/i.test(error.awsMessage)) return undefined;
  const principal = /User: (\S+) is not authorized/i.exec(error.awsMessage)?.[1] ?? "the function's role";
  const action = /not authorized to perform: ([\w-]+:\w+)/i.exec(error.awsMessage)?.[1] ?? error.operation;
  return (
    `The function's IAM role (${principal}) is not allowed ${action}: grant it in the role's policy; ` +
    `the key policy is not the cause. AWS said: ${error.awsMessage}`
  );
}

function diagnoseKeyPolicyDenial(error: AwsCallError, group: LogGroup, key: KeyAssessment): string {
  return (
    `The key policy does not let ${logsServicePrincipal(key.logs.region)} use ${key.keyArn} for ` +
    `${group.logGroupArn}; add the statement in key.policyFix to the key policy. AWS said: ${error.awsMessage}`
  );
}
