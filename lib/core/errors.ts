/**
 * The project's own error types. Adapters translate SDK errors into these at the
 * boundary, so nothing past `lib/aws/` ever matches on an SDK class name.
 */

/** Base class of every error this project throws on purpose. */
export class RemediatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An environment variable is missing or malformed. Names the variable and the value. */
export class ConfigError extends RemediatorError {
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable}=${JSON.stringify(value ?? null)}: ${problem}`);
  }
}

/** The invocation event is malformed. Names the field; thrown before any AWS call. */
export class EventError extends RemediatorError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`Invalid event: ${field}: ${problem}`);
  }
}

/**
 * How an AWS failure should be handled, independent of the SDK's class names:
 * - `not-found`: the resource is gone (a group deleted mid-run, a missing key);
 * - `access-denied`: IAM or the key policy said no;
 * - `invalid-parameter`: AWS rejected the request as it stands (e.g. a disabled key);
 * - `throttled`: retries were exhausted on throttling or a transient fault;
 * - `other`: anything else.
 */
export type AwsErrorKind = 'not-found' | 'access-denied' | 'invalid-parameter' | 'throttled' | 'other';

/** An AWS call failed. Carries the service's error code and message, and the SDK error as `cause`. */
export class AwsCallError extends RemediatorError {
  constructor(
    readonly operation: string,
    readonly kind: AwsErrorKind,
    readonly code: string,
    readonly awsMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: ${code}: ${awsMessage}`, options);
  }
}

/**
 * DescribeKey of the target key was throttled or met a fault after the SDK's retries, in a run
 * that must not guess (a new group's): the invocation fails so that its event is tried again.
 */
export class KeyLookupError extends RemediatorError {
  constructor(
    readonly keyId: string,
    readonly code: string,
    awsMessage: string,
  ) {
    super(`The key ${keyId} could not be described (${code}: ${awsMessage}); the event is retried`);
  }
}

/** The report could not be published; the report itself travels with the error. */
export class ReportPublishError extends RemediatorError {}
