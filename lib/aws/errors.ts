/**
 * The one place that knows SDK error names: it turns them into AwsCallError, so the
 * orchestrator decides on `kind` and never on an SDK class.
 */
import { AwsCallError, type AwsErrorKind } from '../core/errors';

const KINDS: Record<string, AwsErrorKind> = {
  ResourceNotFoundException: 'not-found',
  NotFoundException: 'not-found',
  NotFound: 'not-found',
  AccessDeniedException: 'access-denied',
  AccessDenied: 'access-denied',
  AuthorizationError: 'access-denied',
  KMSAccessDeniedException: 'access-denied',
  InvalidParameterException: 'invalid-parameter',
  InvalidParameterValueException: 'invalid-parameter',
  InvalidParameter: 'invalid-parameter',
  ValidationException: 'invalid-parameter',
  ThrottlingException: 'throttled',
  Throttling: 'throttled',
  TooManyRequestsException: 'throttled',
  LimitExceededException: 'throttled',
  ServiceUnavailableException: 'throttled',
  ServiceUnavailable: 'throttled',
  OperationAbortedException: 'throttled',
  InternalFailure: 'throttled',
};

/** Wrap whatever the SDK threw in an AwsCallError (the original is kept as `cause`). */
export function toAwsCallError(operation: string, error: unknown): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const code = e?.name && e.name !== 'Error' ? e.name : 'UnknownError';
  const status = e?.$metadata?.httpStatusCode ?? 0;
  const kind = KINDS[code] ?? (status >= 500 ? 'throttled' : 'other');
  return new AwsCallError(operation, kind, code, e?.message ?? String(error), { cause: error });
}

/** Run one SDK call and map its failure. */
export async function callAws<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toAwsCallError(operation, error);
  }
}
