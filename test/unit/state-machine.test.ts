/**
 * The sweep state machine as packaged: its states and transitions, and its behaviour when
 * executed (with the small ASL interpreter in test/support) against a scripted function.
 */
import type { JsonObject } from '../support/cfn-stack';
import { asList, isObject, Stack, statementsOf } from '../support/cfn-stack';
import { usePackagedStacks } from '../support/package-stack';
import { executeStateMachine } from '../support/state-machine';

const packaged = usePackagedStacks({ created: {} });
const stack = () => new Stack(packaged.created.template);
const definition = () => stack().resource('SweepStateMachine').Properties.Definition as JsonObject;

describe('the sweep state machine', () => {
  it('is a Standard workflow that invokes the remediator and may do nothing else', () => {
    const machine = stack().resource('SweepStateMachine');
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      DefinitionSubstitutions: { RemediateFunctionArn: { 'Fn::GetAtt': ['RemediateLambdaFunction', 'Arn'] } },
    });
    const role = stack().resource('SweepStateMachineRole');
    const statements = asList(role.Properties.Policies).flatMap((p) =>
      statementsOf(isObject(p) ? p.PolicyDocument : undefined),
    );
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': ['RemediateLambdaFunction', 'Arn'] },
      },
    ]);
  });

  it('has exactly these states and transitions', () => {
    const states = definition().States as Record<string, JsonObject>;
    const transitions = Object.fromEntries(
      Object.entries(states).map(([name, state]) => [
        name,
        [
          state.Type,
          ...asList(state.Next),
          ...asList(state.Choices).map((c) => (isObject(c) ? c.Next : null)),
          state.Default ?? null,
        ].filter((x) => x !== null && x !== undefined),
      ]),
    );
    expect(definition().StartAt).toBe('StartSweep');
    expect(transitions).toEqual({
      StartSweep: ['Pass', 'Remediate'],
      Remediate: ['Task', 'SweepDone'],
      SweepDone: ['Choice', 'Remediate', 'SweepTooLong', 'Reported'],
      SweepTooLong: ['Fail'],
      Reported: ['Succeed'],
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a DefinitionSubstitutions placeholder, not JavaScript.
    expect(states.Remediate?.Resource).toBe('${RemediateFunctionArn}');
    expect(
      asList(states.Remediate?.Retry).flatMap((r) => (isObject(r) ? asList(r.ErrorEquals) : [])),
    ).toContain('Lambda.TooManyRequestsException');
  });

  it('starts a sweep with an empty state and loops while the function answers with a sweep', async () => {
    // Prepare: a function that needs three invocations.
    const payloads: unknown[] = [];
    const answers = [
      { resumeToken: 't1', sweep: { invocations: 1 } },
      { resumeToken: 't2', sweep: { invocations: 2 } },
      { schemaVersion: 1, complete: true },
    ];

    // Act
    const result = await executeStateMachine(
      definition(),
      { 'detail-type': 'Scheduled Event' },
      async (payload) => {
        payloads.push(payload);
        return answers[payloads.length - 1];
      },
    );

    // Assess
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { schemaVersion: 1, complete: true } });
    expect(payloads).toEqual([{ sweep: {} }, answers[0], answers[1]]);
  });

  it('fails the execution instead of looping for ever', async () => {
    let invocations = 0;
    const result = await executeStateMachine(definition(), {}, async () => {
      invocations++;
      return { resumeToken: 't', sweep: { invocations } };
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'SweepTooLong' });
    expect(invocations).toBe(500);
  });
});
