/**
 * Runs an Amazon States Language definition (JSONPath) the way Step Functions would, for the
 * subset the sweep state machine uses, so that tests drive the definition `serverless package`
 * produced:
 *   - Pass (Result, Parameters), Task, Choice, Succeed (InputPath, OutputPath), Fail (Error/ErrorPath,
 *     Cause/CausePath);
 *   - InputPath, Parameters and ResultSelector (payload templates, `.$` keys), ResultPath
 *     (null, `$`, `$.a.b`), OutputPath;
 *   - paths `$.a.b[0]` and the context object `$$.Execution.Id`, `$$.StateMachine.Id`, ...;
 *   - intrinsics States.ArrayGetItem, States.ArrayLength, States.MathAdd, nested;
 *   - Choice rules And, Or, Not, IsPresent, NumericLessThan, StringEquals, StringEqualsPath;
 *   - Retry (ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds, one count
 *     per retrier and per entry into the state) and Catch (ErrorEquals, ResultPath, Next), with
 *     States.ALL and States.TaskFailed as the wildcards AWS documents: States.ALL matches every
 *     error but States.Runtime, States.TaskFailed every error but States.Timeout (Step
 *     Functions guide, "Handling errors in Step Functions workflows").
 * A Task whose Resource is a Lambda function ARN calls `invoke`; an AWS SDK integration
 * (`arn:aws:states:::aws-sdk:<service>:<action>`) calls `sdk['<service>:<action>']`. A task
 * fails by throwing: a TaskError names its error and cause; any other Error is named by its
 * `name`, as Lambda reports a function error (errorType). Retry waits go to `sleep`, which by
 * default waits for nothing and only records.
 */
import type { Json, JsonObject } from './cfn-stack';

export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** The names of the states entered, in order. */
  path: string[];
  /** Every retry: the state, the error retried and the seconds waited before it. */
  retries: { state: string; error: string; waitSeconds: number }[];
}

export type TaskHandler = (input: unknown) => Promise<unknown>;

/** What the context object says about the execution ($$.Execution..., $$.StateMachine...). */
export interface ExecutionIdentity {
  executionArn: string;
  stateMachineArn: string;
  /** ISO 8601, as $$.Execution.StartTime. */
  startTime: string;
}

export interface ExecuteOptions {
  /** AWS SDK integrations by '<service>:<action>', e.g. 'sfn:listExecutions'. */
  sdk?: Record<string, TaskHandler>;
  /** Values for ${Name} placeholders of DefinitionSubstitutions (defaults: DEFAULT_SUBSTITUTIONS). */
  substitutions?: Record<string, string>;
  execution?: Partial<ExecutionIdentity>;
  /** Called with each retry's wait, in seconds. */
  sleep?: (seconds: number) => Promise<void>;
  maxTransitions?: number;
}

export const SWEEP_STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:123456789012:stateMachine:logs-kms-remediator-dev-sweep';
export const executionArnOf = (name: string) =>
  `${SWEEP_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

/** Who the execution is, unless a test says otherwise. */
export const DEFAULT_EXECUTION: ExecutionIdentity = {
  executionArn: executionArnOf('this-sweep'),
  stateMachineArn: SWEEP_STATE_MACHINE_ARN,
  startTime: '2026-01-01T00:00:00.000Z',
};

/** What Step Functions puts in place of the sweep machine's DefinitionSubstitutions (us-east-1). */
export const DEFAULT_SUBSTITUTIONS: Record<string, string> = {
  RemediateFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:logs-kms-remediator-dev-remediate',
  ListExecutions: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
  PutMetricData: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
};

/** A task failure as Step Functions reports it: an error name and a cause. */
export class TaskError extends Error {
  constructor(
    readonly error: string,
    readonly errorCause = '',
  ) {
    super(`${error}: ${errorCause}`);
    this.name = 'TaskError';
  }
}

/** An error no Retry or Catch can handle (a bad path, a failed intrinsic): the execution fails. */
class RuntimeFailure extends Error {}

/** `definition` with every `${Name}` of `substitutions` replaced, as Step Functions does. */
export function substitute(definition: JsonObject, substitutions: Record<string, string>): JsonObject {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`no substitution for ${whole}`);
    return value;
  });
  return JSON.parse(text) as JsonObject;
}

// ---- paths ----

function parsePath(path: string): { root: 'input' | 'context'; steps: (string | number)[] } {
  const root = path.startsWith('$$') ? 'context' : 'input';
  const rest = path.slice(root === 'context' ? 2 : 1);
  const steps: (string | number)[] = [];
  const pattern = /\.([A-Za-z0-9_-]+)|\[(\d+)\]/gy;
  let match = pattern.exec(rest);
  let consumed = 0;
  while (match) {
    steps.push(match[1] !== undefined ? match[1] : Number(match[2]));
    consumed = pattern.lastIndex;
    match = pattern.exec(rest);
  }
  if (!path.startsWith('$') || consumed !== rest.length) throw new Error(`unsupported path ${path}`);
  return { root, steps };
}

function lookup(data: unknown, context: unknown, path: string): { present: boolean; value?: unknown } {
  const { root, steps } = parsePath(path);
  let current: unknown = root === 'context' ? context : data;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return { present: false };
      current = current[step];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !(step in current))
        return { present: false };
      current = (current as Record<string, unknown>)[step];
    }
  }
  return { present: true, value: current };
}

function read(data: unknown, context: unknown, path: string): unknown {
  const found = lookup(data, context, path);
  // Step Functions fails the execution (States.Runtime) on a path that matches nothing.
  if (!found.present) throw new RuntimeFailure(`States.Runtime: no ${path} in the input`);
  return found.value;
}

function write(data: unknown, path: string, value: unknown): unknown {
  const { root, steps } = parsePath(path);
  if (root === 'context') throw new Error(`cannot write to ${path}`);
  if (steps.length === 0) return value;
  const copy = structuredClone(data ?? {}) as Record<string, unknown>;
  let current = copy;
  for (const [i, step] of steps.entries()) {
    if (typeof step === 'number') throw new Error(`unsupported ResultPath ${path}`);
    if (i === steps.length - 1) current[step] = value;
    else {
      const next = current[step];
      if (typeof next !== 'object' || next === null) current[step] = {};
      current = current[step] as Record<string, unknown>;
    }
  }
  return copy;
}

// ---- intrinsic functions ----

/** Splits `a, States.F(b, c), 'd'` at its top-level commas. */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" && text[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last !== '') parts.push(last);
  return parts;
}

const INTRINSICS: Record<string, (args: unknown[]) => unknown> = {
  'States.ArrayLength': ([array]) => {
    if (!Array.isArray(array)) throw new RuntimeFailure('States.ArrayLength needs an array');
    return array.length;
  },
  'States.ArrayGetItem': ([array, index]) => {
    if (!Array.isArray(array) || typeof index !== 'number' || index < 0 || index >= array.length)
      throw new RuntimeFailure(`States.ArrayGetItem: no item ${String(index)}`);
    return array[index];
  },
  'States.MathAdd': ([a, b]) => {
    if (typeof a !== 'number' || typeof b !== 'number')
      throw new RuntimeFailure('States.MathAdd needs numbers');
    return a + b;
  },
};

function evaluate(expression: string, data: unknown, context: unknown): unknown {
  const text = expression.trim();
  if (text.startsWith('$')) return read(data, context, text);
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1).replace(/\\'/g, "'");
  const call = /^(States\.[A-Za-z]+)\(([\s\S]*)\)$/.exec(text);
  const fn = call ? INTRINSICS[call[1] ?? ''] : undefined;
  if (!call || !fn) throw new Error(`unsupported intrinsic or value ${text}`);
  return fn(splitArguments(call[2] ?? '').map((arg) => evaluate(arg, data, context)));
}

/** A payload template (Parameters, ResultSelector): `key.$` values are paths or intrinsics. */
function applyTemplate(template: Json, data: unknown, context: unknown): unknown {
  if (Array.isArray(template)) return template.map((item) => applyTemplate(item, data, context));
  if (typeof template !== 'object' || template === null) return template;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) result[key.slice(0, -2)] = evaluate(String(value), data, context);
    else result[key] = applyTemplate(value, data, context);
  }
  return result;
}

// ---- choice rules ----

function matches(rule: JsonObject, data: unknown, context: unknown): boolean {
  if (Array.isArray(rule.And)) return rule.And.every((r) => matches(r as JsonObject, data, context));
  if (Array.isArray(rule.Or)) return rule.Or.some((r) => matches(r as JsonObject, data, context));
  if (rule.Not !== undefined) return !matches(rule.Not as JsonObject, data, context);
  const found = lookup(data, context, String(rule.Variable));
  if ('IsPresent' in rule) return found.present === rule.IsPresent;
  if ('NumericLessThan' in rule)
    return typeof found.value === 'number' && found.value < Number(rule.NumericLessThan);
  if ('StringEquals' in rule) return found.value === rule.StringEquals;
  if ('StringEqualsPath' in rule) {
    const other = lookup(data, context, String(rule.StringEqualsPath));
    return typeof found.value === 'string' && other.present && found.value === other.value;
  }
  throw new Error(`unsupported choice rule ${JSON.stringify(rule)}`);
}

// ---- errors ----

function errorMatches(names: Json | undefined, error: string): boolean {
  return (Array.isArray(names) ? names : []).some(
    (name) =>
      name === error ||
      (name === 'States.ALL' && error !== 'States.Runtime') ||
      (name === 'States.TaskFailed' && error !== 'States.Timeout' && error !== 'States.Runtime'),
  );
}

function describeFailure(thrown: unknown): { Error: string; Cause: string } {
  if (thrown instanceof TaskError) return { Error: thrown.error, Cause: thrown.errorCause };
  if (thrown instanceof Error)
    return {
      Error: thrown.name,
      Cause: JSON.stringify({ errorType: thrown.name, errorMessage: thrown.message }),
    };
  return { Error: 'Lambda.Unknown', Cause: String(thrown) };
}

/** Seconds before retry number `attempt` (0-based) of a retrier, as AWS documents it. */
function retryWaitSeconds(retrier: JsonObject, attempt: number): number {
  const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
  const rate = typeof retrier.BackoffRate === 'number' ? retrier.BackoffRate : 2;
  const wait = interval * rate ** attempt;
  return typeof retrier.MaxDelaySeconds === 'number' ? Math.min(wait, retrier.MaxDelaySeconds) : wait;
}

// ---- states ----

interface Runner {
  invoke: TaskHandler;
  sdk: Record<string, TaskHandler>;
  sleep: (seconds: number) => Promise<void>;
  context: Record<string, unknown>;
  retries: ExecutionResult['retries'];
}

function handlerOf(resource: string, runner: Runner): TaskHandler {
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (sdk) {
    const handler = runner.sdk[`${sdk[1]}:${sdk[2]}`];
    if (!handler) throw new Error(`no fake for the SDK integration ${sdk[1]}:${sdk[2]}`);
    return handler;
  }
  if (/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$/.test(resource))
    return runner.invoke;
  throw new Error(`unsupported Task resource ${resource}`);
}

/** Runs a Task with its Retry; the result is its output, or the error no retrier resolved. */
async function runTask(
  name: string,
  state: JsonObject,
  input: unknown,
  runner: Runner,
): Promise<{ output: unknown } | { failure: { Error: string; Cause: string } }> {
  const handler = handlerOf(String(state.Resource), runner);
  const retriers = (Array.isArray(state.Retry) ? state.Retry : []) as JsonObject[];
  const attempts = retriers.map(() => 0);
  const effective = applyInput(state, input, runner.context);
  for (;;) {
    try {
      let result = await handler(structuredClone(effective));
      if (state.ResultSelector !== undefined)
        result = applyTemplate(state.ResultSelector, result, runner.context);
      return { output: applyOutput(state, input, result) };
    } catch (thrown) {
      if (thrown instanceof RuntimeFailure) throw thrown;
      const failure = describeFailure(thrown);
      const index = retriers.findIndex((r) => errorMatches(r.ErrorEquals, failure.Error));
      const retrier = retriers[index];
      const used = attempts[index] ?? 0;
      const max = retrier && typeof retrier.MaxAttempts === 'number' ? retrier.MaxAttempts : 3;
      if (!retrier || used >= max) return { failure };
      const waitSeconds = retryWaitSeconds(retrier, used);
      attempts[index] = used + 1;
      runner.retries.push({ state: name, error: failure.Error, waitSeconds });
      await runner.sleep(waitSeconds);
    }
  }
}

function applyInput(state: JsonObject, input: unknown, context: unknown): unknown {
  const selected = typeof state.InputPath === 'string' ? read(input, context, state.InputPath) : input;
  return state.Parameters !== undefined ? applyTemplate(state.Parameters, selected, context) : selected;
}

function applyOutput(state: JsonObject, input: unknown, result: unknown): unknown {
  let output: unknown;
  if (state.ResultPath === null) output = input;
  else output = write(input, typeof state.ResultPath === 'string' ? state.ResultPath : '$', result);
  return typeof state.OutputPath === 'string' ? read(output, {}, state.OutputPath) : output;
}

/** Execute `definition`, calling `invoke` for Tasks whose Resource is a Lambda function ARN. */
export async function executeStateMachine(
  definition: JsonObject,
  input: unknown,
  invoke: TaskHandler,
  options: ExecuteOptions = {},
): Promise<ExecutionResult> {
  const resolved = substitute(definition, { ...DEFAULT_SUBSTITUTIONS, ...options.substitutions });
  const identity: ExecutionIdentity = { ...DEFAULT_EXECUTION, ...options.execution };
  const context: Record<string, unknown> = {
    Execution: { Id: identity.executionArn, StartTime: identity.startTime, Input: input },
    StateMachine: { Id: identity.stateMachineArn },
  };
  const runner: Runner = {
    invoke,
    sdk: options.sdk ?? {},
    sleep: options.sleep ?? (async () => {}),
    context,
    retries: [],
  };
  const states = resolved.States as Record<string, JsonObject>;
  let name = String(resolved.StartAt);
  let data: unknown = input;
  const path: string[] = [];
  for (let i = 0; i < (options.maxTransitions ?? 10_000); i++) {
    const state = states[name];
    if (!state) throw new Error(`no state ${name}`);
    path.push(name);
    context.State = { Name: name };
    const done = (result: Omit<ExecutionResult, 'path' | 'retries'>): ExecutionResult => ({
      ...result,
      path,
      retries: runner.retries,
    });
    try {
      switch (state.Type) {
        case 'Pass': {
          const result = 'Result' in state ? state.Result : applyInput(state, data, context);
          data = applyOutput(state, data, result);
          break;
        }
        case 'Task': {
          const outcome = await runTask(name, state, data, runner);
          if ('output' in outcome) {
            data = outcome.output;
            break;
          }
          const catcher = ((Array.isArray(state.Catch) ? state.Catch : []) as JsonObject[]).find((c) =>
            errorMatches(c.ErrorEquals, outcome.failure.Error),
          );
          if (!catcher)
            return done({ status: 'FAILED', error: outcome.failure.Error, cause: outcome.failure.Cause });
          data = write(
            data,
            typeof catcher.ResultPath === 'string' ? catcher.ResultPath : '$',
            outcome.failure,
          );
          name = String(catcher.Next);
          continue;
        }
        case 'Choice': {
          const choice = (state.Choices as JsonObject[]).find((rule) => matches(rule, data, context));
          if (!choice && state.Default === undefined) throw new RuntimeFailure('States.NoChoiceMatched');
          name = String(choice ? choice.Next : state.Default);
          continue;
        }
        case 'Succeed': {
          const selected = typeof state.InputPath === 'string' ? read(data, context, state.InputPath) : data;
          const output =
            typeof state.OutputPath === 'string' ? read(selected, context, state.OutputPath) : selected;
          return done({ status: 'SUCCEEDED', output });
        }
        case 'Fail': {
          const field = (literal: string, pathKey: string) =>
            typeof state[pathKey] === 'string'
              ? String(read(data, context, String(state[pathKey])))
              : state[literal] === undefined
                ? undefined
                : String(state[literal]);
          return done({
            status: 'FAILED',
            error: field('Error', 'ErrorPath'),
            cause: field('Cause', 'CausePath'),
          });
        }
        default:
          throw new Error(`unsupported state type ${String(state.Type)}`);
      }
    } catch (thrown) {
      if (thrown instanceof RuntimeFailure)
        return done({ status: 'FAILED', error: 'States.Runtime', cause: thrown.message });
      throw thrown;
    }
    if (state.End === true) return { status: 'SUCCEEDED', output: data, path, retries: runner.retries };
    name = String(state.Next);
  }
  throw new Error('too many transitions');
}
