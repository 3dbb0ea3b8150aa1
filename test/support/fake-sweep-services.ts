/**
 * Fakes of the two AWS SDK integrations the sweep state machine calls, for the interpreter in
 * state-machine.ts: Step Functions' ListExecutions over a set of executions of the sweep
 * machine, and CloudWatch's PutMetricData, which records what it is given. They answer the way
 * the SDK integrations do: parameters and results in PascalCase; ListExecutions newest first,
 * at most MaxResults (default 100, at most 1000) a page, with a NextToken while more remain
 * (Step Functions API reference, ListExecutions). Anything else they are given is an error,
 * so a definition that calls them wrongly fails its test.
 */
import {
  DEFAULT_EXECUTION,
  type ExecutionIdentity,
  SWEEP_STATE_MACHINE_ARN,
  TaskError,
  type TaskHandler,
} from './state-machine';

export interface FakeExecution {
  executionArn: string;
  /** ISO 8601; the fake orders executions by it. */
  startDate: string;
  status?: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
}

export interface FakeSweepServices {
  sdk: Record<string, TaskHandler>;
  /** The MetricData of every PutMetricData call, with its namespace. */
  metrics: { Namespace: string; MetricData: unknown[] }[];
  listCalls: Record<string, unknown>[];
}

const LIST_PARAMETERS = new Set(['StateMachineArn', 'StatusFilter', 'MaxResults', 'NextToken']);

function checkListParameters(input: Record<string, unknown>): number {
  for (const key of Object.keys(input))
    if (!LIST_PARAMETERS.has(key)) throw new Error(`ListExecutions has no parameter ${key}`);
  if (input.StateMachineArn !== SWEEP_STATE_MACHINE_ARN)
    throw new TaskError('Sfn.StateMachineDoesNotExistException', String(input.StateMachineArn));
  const max = input.MaxResults ?? 100;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000)
    throw new TaskError('Sfn.ValidationException', `MaxResults ${String(max)}`);
  return max === 0 ? 100 : max;
}

export function fakeSweepServices(executions: FakeExecution[]): FakeSweepServices {
  const services: FakeSweepServices = { sdk: {}, metrics: [], listCalls: [] };
  services.sdk['sfn:listExecutions'] = async (raw) => {
    const input = raw as Record<string, unknown>;
    services.listCalls.push(input);
    const pageSize = checkListParameters(input);
    const listed = executions
      .filter((e) => input.StatusFilter === undefined || (e.status ?? 'RUNNING') === input.StatusFilter)
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
    const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
    if (!Number.isInteger(start) || start < 0 || start > listed.length)
      throw new TaskError('Sfn.InvalidTokenException', String(input.NextToken));
    const page = listed.slice(start, start + pageSize).map((e) => ({
      ExecutionArn: e.executionArn,
      StateMachineArn: SWEEP_STATE_MACHINE_ARN,
      Name: e.executionArn.split(':').pop(),
      Status: e.status ?? 'RUNNING',
      StartDate: e.startDate,
    }));
    const next = start + pageSize < listed.length ? { NextToken: String(start + pageSize) } : {};
    return { Executions: page, ...next };
  };
  services.sdk['cloudwatch:putMetricData'] = async (raw) => {
    const input = raw as { Namespace?: unknown; MetricData?: unknown };
    if (
      typeof input.Namespace !== 'string' ||
      !Array.isArray(input.MetricData) ||
      input.MetricData.length === 0
    )
      throw new TaskError('CloudWatch.InvalidParameterValueException', JSON.stringify(raw));
    services.metrics.push({ Namespace: input.Namespace, MetricData: input.MetricData });
    return {};
  };
  return services;
}

/** The sweep machine's only execution is the one being run: what a sweep on time sees. */
export function aloneRunning(execution: ExecutionIdentity = DEFAULT_EXECUTION): FakeSweepServices {
  return fakeSweepServices([{ executionArn: execution.executionArn, startDate: execution.startTime }]);
}
