/**
 * fix-key-policy: step 2 of the manual procedure, done safely. Read the key policy, add the
 * statement the key check recommends (nothing else changes, Sids stay unique), show the diff, ask
 * (or take --yes), put it with KMS's lockout safety check on, read it back and judge it again.
 */
import { AwsCallError } from '../lib/core/errors';
import { diffLines, type KeyPolicyFix, planKeyPolicyFix, renderDiff } from '../lib/core/policy-fix';
import { type AssessedKey, assessTargetKey } from '../lib/run/assess-key';
import { summariseFix } from './check-key';
import { EXIT } from './exit-codes';
import type { Io } from './io';
import { describeFixOutcome, renderKey } from './render';
import type { Session } from './session';

type Added = Extract<KeyPolicyFix, { outcome: 'add-statement' }>;

export interface FixKeyPolicyOptions {
  yes: boolean;
  json: boolean;
}

export async function fixKeyPolicy(session: Session, io: Io, options: FixKeyPolicyOptions): Promise<number> {
  const before = await assessKey(session);
  const fix = planKeyPolicyFix(before.facts, session.config.region, before.account);
  const keyArn = before.assessment.keyArn ?? before.facts.requested;
  const result = { command: 'fix-key-policy', keyArn, fix: summariseFix(fix, keyArn, session.config.region) };
  if (!options.json) renderKey(keyOf(before), session.config.region, io);
  if (fix.outcome !== 'add-statement') {
    // Nothing to put: the policy is right already, or no Allow can help.
    const done = fix.outcome === 'already-allowed';
    if (options.json) io.json({ ...result, changed: false, key: keyOf(before) });
    else say(io, describeFixOutcome(result.fix), done ? 'ok' : 'bad');
    return done && before.assessment.usable ? EXIT.ok : EXIT.problems;
  }
  showChange(io, fix, keyArn);
  if (!(await confirmed(io, options.yes, `Put this key policy on ${keyArn}?`))) {
    if (options.json) io.json({ ...result, changed: false, confirmed: false });
    return EXIT.notConfirmed;
  }
  try {
    await session.keyPolicy.putKeyPolicy(keyArn, fix.after);
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    say(io, `KMS refused the new policy, which is unchanged: ${error.code}: ${error.awsMessage}`, 'bad');
    if (options.json)
      io.json({ ...result, changed: false, error: { code: error.code, message: error.awsMessage } });
    return EXIT.problems;
  }
  return reportAfter(session, io, options, result);
}

/** Read the policy back, judge it again, and say whether CloudWatch Logs may now use the key. */
async function reportAfter(session: Session, io: Io, options: FixKeyPolicyOptions, result: object) {
  const after = await assessKey(session);
  const again = planKeyPolicyFix(after.facts, session.config.region, after.account);
  const fixed = again.outcome === 'already-allowed' && after.assessment.usable;
  if (options.json) {
    io.json({
      ...result,
      changed: true,
      fixed,
      key: keyOf(after),
      ...(fixed ? {} : { still: again.outcome }),
    });
  } else {
    io.say('The key policy was put. Read back and judged again:');
    renderKey(keyOf(after), session.config.region, io);
    if (fixed) say(io, 'CloudWatch Logs may now use the key for every log group of the account.', 'ok');
    else
      say(
        io,
        describeFixOutcome(summariseFix(again, after.assessment.keyArn ?? '', session.config.region)) ??
          'The key is not usable yet: see its problems above.',
        'bad',
      );
  }
  return fixed ? EXIT.ok : EXIT.problems;
}

function showChange(io: Io, fix: Added, keyArn: string): void {
  const { colour } = io;
  io.say(colour.bold(`The key policy of ${keyArn}, with the CloudWatch Logs statement added:`));
  for (const line of renderDiff(diffLines(fix.before, fix.after))) {
    io.say(
      line.startsWith('+') ? colour.green(line) : line.startsWith('-') ? colour.red(line) : colour.dim(line),
    );
  }
  if (fix.residual) {
    const sid =
      fix.residual.sid === undefined
        ? 'a Deny statement without Sid'
        : `the Deny statement ${fix.residual.sid}`;
    io.say(
      colour.yellow(
        `Even with it, ${sid} may still deny CloudWatch Logs ${fix.residual.action}: its conditions are not known for CloudWatch Logs' requests.`,
      ),
    );
  }
}

/** --yes, or a yes from the person at the terminal; with neither, no. */
export async function confirmed(io: Io, yes: boolean, question: string): Promise<boolean> {
  if (yes) return true;
  if (!io.interactive) {
    say(
      io,
      'No terminal to confirm on: run again with --yes to make this change. Nothing was changed.',
      'bad',
    );
    return false;
  }
  const answer = await io.confirm(question);
  if (!answer) say(io, 'Nothing was changed.', 'bad');
  return answer;
}

function assessKey(session: Session): Promise<AssessedKey> {
  return assessTargetKey(session.config, session.ports, { runId: 'fix-key-policy' });
}

function keyOf(key: AssessedKey) {
  return { ...key.assessment.report, keyManager: key.facts.found ? key.facts.keyManager : null };
}

function say(io: Io, text: string | undefined, tone: 'ok' | 'bad'): void {
  if (text) io.say(tone === 'ok' ? io.colour.green(text) : io.colour.red(text));
}
