/**
 * CloudFormation templates as plain data, and a small evaluator: `Stack` shows a template the
 * way CloudFormation would deploy it for given parameter values (conditions, Fn::If, Fn::Sub,
 * Fn::Select/Split/Join, Ref of parameters and pseudo parameters), leaving Ref/Fn::GetAtt of
 * resources as they are. Used by the template tests and by the integration test that feeds
 * the packaged key policy to the emulator.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Resource {
  Type: string;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
  Metadata?: JsonObject;
  Properties: JsonObject;
}

export interface Template {
  Description?: string;
  Parameters: Record<string, { Type: string; Default?: string; AllowedPattern?: string }>;
  Conditions: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Condition?: string; Value: Json; Export?: Json }>;
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Json;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  Condition?: JsonObject;
}

/** Pseudo parameters: the account, region and partition the stack is deployed to. */
export interface Place {
  account: string;
  region: string;
  partition: string;
}

export const TEST_PLACE: Place = { account: '123456789012', region: 'us-east-1', partition: 'aws' };

const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

const isValue = (value: Resolved): value is Json => value !== NO_VALUE;
export const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A template as CloudFormation would deploy it for the given parameter values. */
export class Stack {
  readonly parameters: Record<string, string>;
  private readonly pseudo: Readonly<Record<string, string>>;
  private readonly conditionValues = new Map<string, boolean>();

  constructor(
    readonly template: Template,
    overrides: Record<string, string> = {},
    place: Place = TEST_PLACE,
  ) {
    this.pseudo = {
      'AWS::Partition': place.partition,
      'AWS::Region': place.region,
      'AWS::AccountId': place.account,
    };
    this.parameters = {};
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      if (parameter.Default !== undefined) this.parameters[name] = parameter.Default;
    }
    Object.assign(this.parameters, overrides);
  }
  condition(name: string): boolean {
    let value = this.conditionValues.get(name);
    if (value === undefined) {
      const definition = this.template.Conditions?.[name];
      if (definition === undefined) throw new Error(`no condition ${name}`);
      const resolved = this.resolve(definition);
      if (typeof resolved !== 'boolean') throw new Error(`condition ${name} is not a boolean`);
      value = resolved;
      this.conditionValues.set(name, value);
    }
    return value;
  }

  /** The resources this stack creates, properties resolved. */
  get resources(): Record<string, Resource> {
    const created: Record<string, Resource> = {};
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      if (resource.Condition !== undefined && !this.condition(resource.Condition)) continue;
      const properties = this.resolve(resource.Properties ?? {});
      created[id] = {
        ...resource,
        Properties: isValue(properties) && isObject(properties) ? properties : {},
      };
    }
    return created;
  }

  get outputs(): Record<string, Json> {
    const outputs: Record<string, Json> = {};
    for (const [name, output] of Object.entries(this.template.Outputs)) {
      if (output.Condition !== undefined && !this.condition(output.Condition)) continue;
      const value = this.resolve(output.Value);
      if (isValue(value)) outputs[name] = value;
    }
    return outputs;
  }

  resource(id: string): Resource {
    const resource = this.resources[id];
    if (resource === undefined) throw new Error(`resource ${id} is not created`);
    return resource;
  }

  resolve(value: Json): Resolved {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item)).filter(isValue);
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const fn = keys.length === 1 ? keys[0] : undefined;
    const arg = fn === undefined ? undefined : value[fn];
    if (fn !== undefined && arg !== undefined) {
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Condition':
          return this.condition(String(arg));
        case 'Fn::GetAtt':
          return value; // a resource attribute, known only once deployed
        case 'Fn::If': {
          const [name, whenTrue, whenFalse] = arg as [string, Json, Json];
          return this.resolve(this.condition(name) ? whenTrue : whenFalse);
        }
        case 'Fn::Equals': {
          const [a, b] = (arg as Json[]).map((item) => this.resolve(item));
          if (typeof a !== 'string' || typeof b !== 'string') throw new Error('Fn::Equals on a non-string');
          return a === b;
        }
        case 'Fn::Not':
          return !this.bool((arg as Json[])[0] ?? null);
        case 'Fn::And':
          return (arg as Json[]).every((item) => this.bool(item));
        case 'Fn::Or':
          return (arg as Json[]).some((item) => this.bool(item));
        case 'Fn::Join': {
          const [delimiter, list] = arg as [string, Json];
          const items = this.resolve(list);
          if (!Array.isArray(items)) throw new Error('Fn::Join of a non-list');
          return items.every((item) => typeof item === 'string')
            ? items.join(delimiter)
            : { 'Fn::Join': [delimiter, items] };
        }
        case 'Fn::Split': {
          const [delimiter, source] = arg as [string, Json];
          const text = this.resolve(source);
          if (typeof text !== 'string') throw new Error('Fn::Split of a non-string');
          return text.split(delimiter);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [Json, Json];
          const items = this.resolve(list);
          const at = Number(this.resolve(index));
          if (!Array.isArray(items) || !Number.isInteger(at) || at < 0 || at >= items.length) {
            // CloudFormation fails the stack operation here.
            throw new Error(`Fn::Select index ${at} out of range of ${JSON.stringify(items)}`);
          }
          return items[at] ?? null;
        }
        case 'Fn::Sub':
          return this.sub(arg);
      }
    }
    const resolved: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const result = this.resolve(item);
      if (isValue(result)) resolved[key] = result;
    }
    return resolved;
  }

  private bool(value: Json): boolean {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'boolean') throw new Error('condition function on a non-boolean');
    return resolved;
  }

  private ref(name: string): Resolved {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const known = this.pseudo[name] ?? this.parameters[name];
    if (known !== undefined) return known;
    if (name in this.template.Resources) return { Ref: name };
    throw new Error(`Ref to unknown ${name}`);
  }

  private sub(arg: Json): Json {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, JsonObject]);
    const values: Record<string, Resolved> = {};
    for (const [name, item] of Object.entries(variables)) values[name] = this.resolve(item);
    // '${Var}' alone, Var a resource reference: the reference itself.
    const whole = /^\$\{([^}!]+)\}$/.exec(text)?.[1];
    const wholeValue = whole === undefined ? undefined : values[whole];
    if (wholeValue !== undefined && isValue(wholeValue) && typeof wholeValue !== 'string') return wholeValue;
    let unresolved = false;
    const result = text.replace(/\$\{([^}!]+)\}/g, (match, name: string) => {
      const found = values[name] ?? this.pseudo[name] ?? this.parameters[name];
      if (typeof found === 'string') return found;
      unresolved = true;
      return match;
    });
    return unresolved ? { 'Fn::Sub': result } : result;
  }
}

/** Logical ids of the resources a resolved value refers to. */
export function referencedResources(value: Json, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedResources(item, into);
  } else if (isObject(value)) {
    const ref = value.Ref;
    const getAtt = value['Fn::GetAtt'];
    const sub = value['Fn::Sub'];
    if (typeof ref === 'string' && !ref.startsWith('AWS::')) into.add(ref);
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') into.add(getAtt[0]);
    if (typeof sub === 'string') {
      for (const [, name] of sub.matchAll(/\$\{([^}.!]+)/g))
        if (name && !name.startsWith('AWS::')) into.add(name);
    }
    for (const item of Object.values(value)) referencedResources(item, into);
  }
  return into;
}

export const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export function statementsOf(document: Json | undefined): Statement[] {
  if (!isObject(document)) return [];
  return asList(document.Statement) as unknown as Statement[];
}

export function withoutSid({ Sid: _sid, ...rest }: Statement): Omit<Statement, 'Sid'> {
  return rest;
}
