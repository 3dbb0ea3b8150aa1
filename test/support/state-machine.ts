/**
 * Runs an Amazon States Language definition the way Step Functions would, for the subset the
 * sweep state machine uses: Pass (Result), Task (a function ARN as Resource, Retry ignored),
 * Choice (And, IsPresent, NumericLessThan on JSONPath `$.a.b`), Succeed and Fail. Tests use it
 * to drive the real handler through the definition that `serverless package` produced.
 */
import type { Json, JsonObject } from './cfn-stack';

export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  /** The names of the states entered, in order. */
  path: string[];
}

type Invoke = (payload: unknown) => Promise<unknown>;

function lookup(value: unknown, path: string): { present: boolean; value?: unknown } {
  if (!path.startsWith('$')) throw new Error(`unsupported path ${path}`);
  let current: unknown = value;
  for (const part of path.slice(1).split('.').filter(Boolean)) {
    if (typeof current !== 'object' || current === null || !(part in current)) return { present: false };
    current = (current as Record<string, unknown>)[part];
  }
  return { present: true, value: current };
}

function matches(rule: JsonObject, input: unknown): boolean {
  if (Array.isArray(rule.And)) return rule.And.every((r) => matches(r as JsonObject, input));
  const found = lookup(input, String(rule.Variable));
  if ('IsPresent' in rule) return found.present === rule.IsPresent;
  if ('NumericLessThan' in rule)
    return typeof found.value === 'number' && found.value < Number(rule.NumericLessThan);
  throw new Error(`unsupported choice rule ${JSON.stringify(rule)}`);
}

/** Execute `definition`, calling `invoke` for Task states. Stops after `maxTransitions`. */
export async function executeStateMachine(
  definition: JsonObject,
  input: unknown,
  invoke: Invoke,
  maxTransitions = 10_000,
): Promise<ExecutionResult> {
  const states = definition.States as Record<string, JsonObject>;
  let name = String(definition.StartAt);
  let data: unknown = input;
  const path: string[] = [];
  for (let i = 0; i < maxTransitions; i++) {
    const state = states[name];
    if (!state) throw new Error(`no state ${name}`);
    path.push(name);
    switch (state.Type) {
      case 'Pass':
        if ('Result' in state) data = state.Result as Json;
        break;
      case 'Task':
        data = await invoke(data);
        break;
      case 'Choice': {
        const choice = (state.Choices as JsonObject[]).find((rule) => matches(rule, data));
        name = String(choice ? choice.Next : state.Default);
        continue;
      }
      case 'Succeed':
        return { status: 'SUCCEEDED', output: data, path };
      case 'Fail':
        return { status: 'FAILED', error: String(state.Error), path };
      default:
        throw new Error(`unsupported state type ${String(state.Type)}`);
    }
    if (state.End === true) return { status: 'SUCCEEDED', output: data, path };
    name = String(state.Next);
  }
  throw new Error('too many transitions');
}
