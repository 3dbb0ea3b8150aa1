/**
 * The sweep state machine as packaged: its role, its validity as Amazon States Language (judged
 * by asl-validator, an implementation independent of ours), its states, and its behaviour when
 * executed by the ASL interpreter in test/support against a scripted function and fakes of the
 * ListExecutions and PutMetricData integrations: one sweep at a time, and every Retry and Catch
 * path of the function's task, with the declared backoff on a virtual clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import validateAsl from 'asl-validator';
import fc from 'fast-check';
import { parseEvent } from '../../lib/core/event';
import { METRICS_NAMESPACE, SWEEP_METRIC_NAMES } from '../../lib/core/run-metrics';
import type { JsonObject } from '../support/cfn-stack';
import { asList, isObject, Stack, statementsOf, TEST_PLACE } from '../support/cfn-stack';
import { aloneRunning, type FakeExecution, fakeSweepServices } from '../support/fake-sweep-services';
import { usePackagedStacks } from '../support/package-stack';
import {
  DEFAULT_EXECUTION,
  DEFAULT_SUBSTITUTIONS,
  type ExecuteOptions,
  executeStateMachine,
  executionArnOf,
  SWEEP_STATE_MACHINE_ARN,
  substitute,
  TaskError,
} from '../support/state-machine';

const packaged = usePackagedStacks({ created: {} });
const stack = () => new Stack(packaged.created.template);
const definition = () => stack().resource('SweepStateMachine').Properties.Definition as JsonObject;
const states = () => definition().States as Record<string, JsonObject>;

const FINAL_REPORT = { schemaVersion: 2, complete: true };
const SELF = DEFAULT_EXECUTION;

/** A function that finishes the sweep in one invocation. */
const finishAtOnce = async () => FINAL_REPORT;

/** A clock that only moves when the state machine waits before a retry. */
function virtualClock() {
  const clock = { now: 0, waits: [] as number[] };
  const sleep = async (seconds: number) => {
    clock.waits.push(seconds);
    clock.now += seconds;
  };
  return { clock, sleep };
}

/** What the schedule rule starts an execution with. */
const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-30T10:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/sweep'],
  detail: {},
};
const FIRST_PAYLOAD = { sweep: {}, start: SCHEDULED_EVENT };

const run = (invoke: (payload: unknown) => Promise<unknown>, options: ExecuteOptions = {}) =>
  executeStateMachine(definition(), SCHEDULED_EVENT, invoke, {
    sdk: aloneRunning().sdk,
    ...options,
  });

describe('the sweep state machine: what it is', () => {
  it('is a Standard workflow that invokes the remediator, lists its own executions, counts skips, and nothing else', () => {
    // Prepare
    const machine = stack().resource('SweepStateMachine');
    const role = stack().resource('SweepStateMachineRole');
    const statements = asList(role.Properties.Policies).flatMap((p) =>
      statementsOf(isObject(p) ? p.PolicyDocument : undefined),
    );

    // Assess
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      DefinitionSubstitutions: { RemediateFunctionArn: { 'Fn::GetAtt': ['RemediateLambdaFunction', 'Arn'] } },
    });
    // The ARN the role names is the one CloudFormation gives the machine: arn:...:stateMachine:<name>.
    const { region, account } = TEST_PLACE;
    const ownArn = `arn:aws:states:${region}:${account}:stateMachine:${String(machine.Properties.StateMachineName)}`;
    expect(ownArn).toBe(SWEEP_STATE_MACHINE_ARN);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': ['RemediateLambdaFunction', 'Arn'] },
      },
      { Effect: 'Allow', Action: 'states:ListExecutions', Resource: ownArn },
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      },
    ]);
  });

  it('calls the SDK integrations through partition-aware substitutions', () => {
    const substitutions = stack().resource('SweepStateMachine').Properties.DefinitionSubstitutions;
    expect(substitutions).toMatchObject({
      ListExecutions: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
      PutMetricData: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
    });
    const raw = packaged.created.template.Resources.SweepStateMachine?.Properties.DefinitionSubstitutions;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JavaScript.
    expect(JSON.stringify(raw)).toContain('${AWS::Partition}');
  });

  it('is valid Amazon States Language for asl-validator, which does reject a broken copy', () => {
    // Prepare: the definition as Step Functions receives it, placeholders substituted.
    const resolved = substitute(definition(), DEFAULT_SUBSTITUTIONS);
    const broken = structuredClone(resolved);
    (broken.States as Record<string, JsonObject>).IsOldestSweep = {
      ...(broken.States as Record<string, JsonObject>).IsOldestSweep,
      Default: 'NoSuchState',
    };

    // Act: asl-validator fills in defaults in what it is given, hence the copies.
    const verdict = validateAsl(structuredClone(resolved));
    const brokenVerdict = validateAsl(broken);

    // Assess
    expect(verdict.errorsText()).toBe('');
    expect(verdict.isValid).toBe(true);
    expect(brokenVerdict.isValid).toBe(false);
  });

  it('has exactly these states and transitions', () => {
    const transitions = Object.fromEntries(
      Object.entries(states()).map(([name, state]) => [
        name,
        [
          state.Type,
          ...asList(state.Next),
          ...asList(state.Choices).map((c) => (isObject(c) ? c.Next : null)),
          ...asList(state.Catch).map((c) => (isObject(c) ? `catch:${String(c.Next)}` : null)),
          state.Default ?? null,
        ].filter((x) => x !== null && x !== undefined),
      ]),
    );
    expect(definition().StartAt).toBe('FindRunningSweeps');
    expect(transitions).toEqual({
      FindRunningSweeps: ['Task', 'MoreRunningSweeps'],
      MoreRunningSweeps: ['Choice', 'FindMoreRunningSweeps', 'AnyRunningSweep'],
      FindMoreRunningSweeps: ['Task', 'MoreRunningSweeps'],
      AnyRunningSweep: ['Choice', 'StartSweep', 'FindOldestSweep'],
      FindOldestSweep: ['Pass', 'IsOldestSweep'],
      IsOldestSweep: ['Choice', 'StartSweep', 'DescribeSkippedSweep'],
      DescribeSkippedSweep: ['Pass', 'CountSkippedSweep'],
      CountSkippedSweep: ['Task', 'SkippedSweepResult', 'catch:SkippedSweepResult'],
      SkippedSweepResult: ['Pass', 'SweepSkipped'],
      SweepSkipped: ['Succeed'],
      StartSweep: ['Pass', 'Remediate'],
      Remediate: ['Task', 'SweepDone', 'catch:SweepFailed'],
      SweepDone: ['Choice', 'Remediate', 'SweepTooLong', 'Reported'],
      SweepFailed: ['Fail'],
      SweepTooLong: ['Fail'],
      Reported: ['Succeed'],
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a DefinitionSubstitutions placeholder, not JavaScript.
    expect(states().Remediate?.Resource).toBe('${RemediateFunctionArn}');
  });

  it('counts a skipped sweep under a metric name the dashboard graphs, in the namespace of the others', () => {
    const parameters = states().CountSkippedSweep?.Parameters as JsonObject;
    expect(parameters.Namespace).toBe(METRICS_NAMESPACE);
    const [datum] = asList(parameters.MetricData) as JsonObject[];
    expect(SWEEP_METRIC_NAMES).toContain(datum?.MetricName);
  });
});

describe('the sweep state machine: a sweep', () => {
  it('starts with an empty state and loops while the function answers with a sweep', async () => {
    // Prepare: a function that needs three invocations.
    const payloads: unknown[] = [];
    const answers = [
      { resumeToken: 't1', sweep: { invocations: 1 } },
      { resumeToken: 't2', sweep: { invocations: 2 } },
      FINAL_REPORT,
    ];

    // Act
    const result = await run(async (payload) => {
      payloads.push(payload);
      return answers[payloads.length - 1];
    });

    // Assess
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: FINAL_REPORT });
    expect(payloads).toEqual([FIRST_PAYLOAD, answers[0], answers[1]]);
  });

  it('passes a CloudTrail KMS key event, as the execution input, to the function as `start`, which reads it as the key event', async () => {
    // Prepare: the event the key-events rule starts an execution with.
    const keyDisabled = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'events', 'key-disabled.json'), 'utf8'),
    ) as unknown;
    const payloads: unknown[] = [];

    // Act
    const result = await executeStateMachine(
      definition(),
      keyDisabled,
      async (payload) => {
        payloads.push(payload);
        return FINAL_REPORT;
      },
      { sdk: aloneRunning().sdk },
    );

    // Assess: the same sweep as a scheduled one, with the event passed on whole.
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: FINAL_REPORT });
    expect(payloads).toEqual([{ sweep: {}, start: keyDisabled }]);
    expect(parseEvent(payloads[0])).toEqual({
      trigger: 'manual',
      sweep: { state: undefined },
      keyEvent: {
        eventName: 'DisableKey',
        keyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        eventTime: '2026-11-30T11:42:08Z',
      },
    });
  });

  it('fails the execution instead of looping for ever', async () => {
    let invocations = 0;
    const result = await run(async () => {
      invocations++;
      return { resumeToken: 't', sweep: { invocations } };
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'SweepTooLong' });
    expect(invocations).toBe(500);
  });
});

describe('the sweep state machine: one sweep at a time', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  const sweep = (name: string, minute: number, status?: FakeExecution['status']): FakeExecution => ({
    executionArn: executionArnOf(name),
    startDate: at(minute),
    ...(status ? { status } : {}),
  });
  const self = (minute: number) => sweep('this-sweep', minute);

  async function runAmong(executions: FakeExecution[], selfMinute: number) {
    const services = fakeSweepServices(executions);
    let invocations = 0;
    const result = await run(
      async () => {
        invocations++;
        return FINAL_REPORT;
      },
      { sdk: services.sdk, execution: { ...SELF, startTime: at(selfMinute) } },
    );
    return { result, invocations, services };
  }

  it.each<[string, FakeExecution[]]>([
    ['it is the only one running', [self(60)]],
    ['the listing does not show it yet (eventually consistent) and nothing else runs', []],
    ['a newer sweep runs too: it is the oldest', [self(60), sweep('newer', 61)]],
    ['older sweeps have finished', [self(60), sweep('done', 0, 'SUCCEEDED'), sweep('failed', 1, 'FAILED')]],
  ])('sweeps when %s', async (_case, executions) => {
    const { result, invocations, services } = await runAmong(executions, 60);
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: FINAL_REPORT });
    expect(invocations).toBe(1);
    expect(services.metrics).toEqual([]);
    expect(services.listCalls).toEqual([
      { StateMachineArn: SWEEP_STATE_MACHINE_ARN, StatusFilter: 'RUNNING', MaxResults: 100 },
    ]);
  });

  it.each<[string, FakeExecution[], string]>([
    ['an older sweep still runs', [self(60), sweep('older', 0)], 'older'],
    [
      'two older sweeps run: it names the oldest',
      [sweep('older', 30), self(60), sweep('oldest', 0)],
      'oldest',
    ],
    ['a newer one runs as well', [sweep('newer', 61), self(60), sweep('older', 0)], 'older'],
  ])('ends at once, successfully, when %s, and counts itself', async (_case, executions, running) => {
    // Act
    const { result, invocations, services } = await runAmong(executions, 60);

    // Assess: no invocation, no failure (so no alarm), a result that names the running sweep.
    const oldest = executions.find((e) => e.executionArn === executionArnOf(running));
    expect(invocations).toBe(0);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      outcome: 'skipped',
      reason: 'another-sweep-running',
      runningSweep: oldest?.executionArn,
      runningSince: oldest?.startDate,
    });
    expect(result.path.at(-1)).toBe('SweepSkipped');
    expect(services.metrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          {
            MetricName: 'SweepSkipped',
            Dimensions: [{ Name: 'service', Value: 'logs-kms-remediator' }],
            Unit: 'Count',
            Value: 1,
          },
        ],
      },
    ]);
  });

  it.each<[string, number, boolean]>([
    ['sweeps when it is the oldest of 250 running, on the third page', 0, true],
    ['ends when the oldest of 250 running is on the third page and it is not', 300, false],
  ])('%s', async (_case, selfMinute, sweeps) => {
    // Prepare: 249 other running sweeps, started at minutes 1..249 (newest first: 3 pages).
    const others = Array.from({ length: 249 }, (_, i) => sweep(`other-${i}`, i + 1));
    const executions = [self(selfMinute), ...others];

    // Act
    const { result, invocations, services } = await runAmong(executions, selfMinute);

    // Assess
    expect(services.listCalls.map((c) => c.NextToken)).toEqual([undefined, '100', '200']);
    expect(invocations).toBe(sweeps ? 1 : 0);
    expect(result.output).toEqual(
      sweeps ? FINAL_REPORT : expect.objectContaining({ runningSweep: executionArnOf('other-0') }),
    );
  });

  it('lets exactly one of any set of overlapping sweeps run: the one that started first', async () => {
    // The judge is plain arithmetic: the earliest start date, whoever runs the check.
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 6 }),
        async (minutes) => {
          const executions = minutes.map((m) => sweep(`sweep-${m}`, m));
          const swept: number[] = [];
          for (const m of minutes) {
            const services = fakeSweepServices(executions);
            const result = await executeStateMachine(definition(), {}, finishAtOnce, {
              sdk: services.sdk,
              execution: { ...SELF, executionArn: executionArnOf(`sweep-${m}`), startTime: at(m) },
            });
            if (result.path.includes('Remediate')) swept.push(m);
            else
              expect(result.output).toMatchObject({
                runningSweep: executionArnOf(`sweep-${Math.min(...minutes)}`),
              });
          }
          expect(swept).toEqual([Math.min(...minutes)]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('still ends successfully, saying so, when the metric cannot be written', async () => {
    // Prepare: PutMetricData fails every time.
    const services = fakeSweepServices([self(60), sweep('older', 0)]);
    const { clock, sleep } = virtualClock();
    services.sdk['cloudwatch:putMetricData'] = async () => {
      throw new TaskError('CloudWatch.InternalServiceException', 'unavailable');
    };

    // Act
    const result = await run(finishAtOnce, {
      sdk: services.sdk,
      sleep,
      execution: { ...SELF, startTime: at(60) },
    });

    // Assess: retried after 2, 4 and 8 s, then caught.
    expect(clock.waits).toEqual([2, 4, 8]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({
      outcome: 'skipped',
      runningSweep: executionArnOf('older'),
      metricError: { Error: 'CloudWatch.InternalServiceException', Cause: 'unavailable' },
    });
  });

  it.each<[string, number, string]>([
    ['retries a throttled listing and then sweeps', 2, 'SUCCEEDED'],
    ['fails (and so alarms) when it cannot tell whether another sweep runs', 10, 'FAILED'],
  ])('%s', async (_case, failures, status) => {
    // Prepare: ListExecutions throttled `failures` times.
    const services = aloneRunning();
    const list = services.sdk['sfn:listExecutions'];
    let calls = 0;
    services.sdk['sfn:listExecutions'] = async (input) => {
      if (++calls <= failures) throw new TaskError('Sfn.SfnException', 'Rate exceeded');
      return list?.(input);
    };
    const { clock, sleep } = virtualClock();
    let invocations = 0;

    // Act
    const result = await run(
      async () => {
        invocations++;
        return FINAL_REPORT;
      },
      { sdk: services.sdk, sleep },
    );

    // Assess
    expect(result.status).toBe(status);
    expect(clock.waits).toEqual(status === 'SUCCEEDED' ? [2, 4] : [2, 4, 8]);
    expect(invocations).toBe(status === 'SUCCEEDED' ? 1 : 0);
    if (status === 'FAILED') expect(result.error).toBe('Sfn.SfnException');
  });
});

describe('the sweep state machine: retries and failures of the function', () => {
  const tooMany = () => new TaskError('Lambda.TooManyRequestsException', 'Rate Exceeded.');

  /**
   * The function with reserved concurrency 1 while real-time events (CreateLogGroup) hold it
   * until `busyUntil` seconds: the sweep's invocations are throttled until then.
   */
  function busyFunction(clock: { now: number }, busyUntil: number, answers: unknown[] = [FINAL_REPORT]) {
    const calls = { throttled: 0, served: 0 };
    const invoke = async () => {
      if (clock.now < busyUntil) {
        calls.throttled++;
        throw tooMany();
      }
      return answers[calls.served++];
    };
    return { invoke, calls };
  }

  it('waits 5, 10, 20, 40 and 80 s while real-time events hold the reserved concurrency, then sweeps', async () => {
    // Prepare: busy for the first 100 s.
    const { clock, sleep } = virtualClock();
    const fn = busyFunction(clock, 100);

    // Act
    const result = await run(fn.invoke, { sleep });

    // Assess: attempts at 0, 5, 15, 35 and 75 s are throttled; the one at 155 s runs.
    expect(clock.waits).toEqual([5, 10, 20, 40, 80]);
    expect(fn.calls).toEqual({ throttled: 5, served: 1 });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: FINAL_REPORT });
  });

  it('gives up after 10 retries (755 s, waits capped at 120 s) and fails the sweep with the throttle', async () => {
    // Prepare: busy for an hour.
    const { clock, sleep } = virtualClock();
    const fn = busyFunction(clock, 3600);

    // Act
    const result = await run(fn.invoke, { sleep });

    // Assess
    expect(clock.waits).toEqual([5, 10, 20, 40, 80, 120, 120, 120, 120, 120]);
    expect(clock.now).toBe(755);
    expect(fn.calls.throttled).toBe(11);
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'Lambda.TooManyRequestsException',
      cause: 'Rate Exceeded.',
    });
    expect(result.path.at(-1)).toBe('SweepFailed');
  });

  it('counts retries per invocation: a sweep of three invocations, each throttled 8 times, finishes', async () => {
    // Prepare: each invocation's first 8 attempts are throttled (24 in all, more than 10).
    const { clock, sleep } = virtualClock();
    const answers = [
      { resumeToken: 't1', sweep: { invocations: 1 } },
      { resumeToken: 't2', sweep: { invocations: 2 } },
      FINAL_REPORT,
    ];
    let attempts = 0;
    let served = 0;
    const invoke = async () => {
      if (attempts++ % 9 < 8) throw tooMany();
      return answers[served++];
    };

    // Act
    const result = await run(invoke, { sleep });

    // Assess
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: FINAL_REPORT });
    expect(clock.waits).toHaveLength(24);
    expect(clock.waits.slice(0, 8)).toEqual([5, 10, 20, 40, 80, 120, 120, 120]);
  });

  it.each<[string, number, number[], string]>([
    ['retries Lambda.ServiceException after 2 and 4 s, then sweeps', 2, [2, 4], 'SUCCEEDED'],
    ['fails the sweep after 6 retries of Lambda.ServiceException', 99, [2, 4, 8, 16, 32, 64], 'FAILED'],
  ])('%s', async (_case, failures, waits, status) => {
    const { clock, sleep } = virtualClock();
    let calls = 0;
    const result = await run(
      async () => {
        if (++calls <= failures) throw new TaskError('Lambda.ServiceException', 'Service error');
        return FINAL_REPORT;
      },
      { sleep },
    );
    expect(clock.waits).toEqual(waits);
    expect(result.status).toBe(status);
    if (status === 'FAILED')
      expect(result).toMatchObject({
        error: 'Lambda.ServiceException',
        path: expect.arrayContaining(['SweepFailed']),
      });
  });

  it('keeps a separate count for each retrier: throttles, then service errors', async () => {
    const { clock, sleep } = virtualClock();
    const errors = [
      tooMany(),
      tooMany(),
      tooMany(),
      new TaskError('Lambda.ServiceException', 'x'),
      new TaskError('Lambda.ServiceException', 'x'),
    ];
    const result = await run(
      async () => {
        const error = errors.shift();
        if (error) throw error;
        return FINAL_REPORT;
      },
      { sleep },
    );
    expect(clock.waits).toEqual([5, 10, 20, 2, 4]);
    expect(result.status).toBe('SUCCEEDED');
  });

  it('retries a failed invocation twice, 60 then 120 s later, with the same continuation, then fails the sweep with its error', async () => {
    // Prepare: the second invocation of the sweep throws, as the function does when SNS is down.
    const { clock, sleep } = virtualClock();
    const continuation = { resumeToken: 't1', sweep: { invocations: 1 } };
    const payloads: unknown[] = [];
    const publishError = Object.assign(new Error('could not publish the report'), {
      name: 'ReportPublishError',
    });

    // Act
    const result = await run(
      async (payload) => {
        payloads.push(payload);
        if (payloads.length === 1) return continuation;
        throw publishError;
      },
      { sleep },
    );

    // Assess
    expect(clock.waits).toEqual([60, 120]);
    expect(payloads).toEqual([FIRST_PAYLOAD, continuation, continuation, continuation]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReportPublishError');
    expect(JSON.parse(result.cause ?? '{}')).toEqual({
      errorType: 'ReportPublishError',
      errorMessage: 'could not publish the report',
    });
    expect(result.path.slice(-2)).toEqual(['Remediate', 'SweepFailed']);
  });

  it.each<[string, unknown]>([
    ['a timeout (Lambda.Unknown)', new TaskError('Lambda.Unknown', 'Task timed out after 300.00 seconds')],
    ['an error the function threw', Object.assign(new Error('boom'), { name: 'ConfigError' })],
  ])('goes on with the sweep when a retry of %s succeeds', async (_case, failure) => {
    const { clock, sleep } = virtualClock();
    let calls = 0;
    const result = await run(
      async () => {
        if (++calls === 1) throw failure;
        return FINAL_REPORT;
      },
      { sleep },
    );
    expect(clock.waits).toEqual([60]);
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: FINAL_REPORT });
  });
});
