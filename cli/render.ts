/** Text for people, shared by the commands: the key's verdict, and what a policy fix came to. */
import type { KeyReport } from '../lib/core/types';
import type { FixSummary } from './check-key';
import type { Io } from './io';

export function renderKey(key: KeyReport & { keyManager: string | null }, region: string, io: Io): void {
  const { colour } = io;
  const given = key.arn && key.arn !== key.requested ? ` (given as ${key.requested})` : '';
  io.say(colour.bold(`Key ${key.arn ?? key.requested}${given}`));
  const rotation = key.rotationEnabled === null ? 'unknown' : key.rotationEnabled ? 'on' : 'off';
  io.say(
    `  state ${key.state ?? 'unknown'}, spec ${key.keySpec ?? 'unknown'}, usage ${key.keyUsage ?? 'unknown'}, ` +
      `manager ${key.keyManager ?? 'unknown'}, region ${region}, rotation ${rotation}`,
  );
  io.say(`  ${key.usable ? colour.green('Usable') : colour.red('NOT USABLE')}`);
  for (const p of key.problems) io.say(`  ${colour.red(`Problem ${p.code}`)}: ${p.message}`);
  for (const w of key.warnings) io.say(`  ${colour.yellow(`Warning ${w.code}`)}: ${w.message}`);
}

/** One sentence on a fix that adds nothing; undefined for one that adds the statement. */
export function describeFixOutcome(fix: FixSummary): string | undefined {
  const deny = (d: object | undefined) => {
    const sid = (d as { sid?: string } | undefined)?.sid;
    return sid === undefined ? 'a Deny statement without Sid' : `the Deny statement ${sid}`;
  };
  switch (fix.outcome) {
    case 'add-statement':
      return undefined;
    case 'already-allowed':
      return 'The key policy already lets CloudWatch Logs use the key for every log group of the account.';
    case 'blocked':
      return `Adding the CloudWatch Logs statement would not help: ${deny(fix.deny)} keeps CloudWatch Logs out (${fix.message}). Change or remove that statement by hand.`;
    case 'already-present':
      return `The CloudWatch Logs statement is in the policy already${fix.deny ? `, but ${deny(fix.deny)} may still deny CloudWatch Logs: AWS decides` : ''}.`;
    case 'too-large':
      return 'With the CloudWatch Logs statement the key policy would exceed the 32 KB KMS allows.';
    case 'key-unavailable':
      return `The key could not be described (${fix.message}).`;
    case 'policy-unreadable':
      return `The key policy could not be read (${fix.message}).`;
  }
}
