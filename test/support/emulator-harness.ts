/**
 * The set-up every integration test file shares: start the emulator on a free port, point the
 * SDK at it the way users point it anywhere (AWS_ENDPOINT_URL), import the handler module only
 * then (it reads its configuration at load time, as a Lambda cold start does), and stop the
 * emulator by its PID at the end.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Report } from '../../lib/core/types';
import { type Emulator, emulatorEnv, startEmulator } from '../emulator/emulator';
import { ACCOUNT, REGION, type SeedClients, seedClients } from './aws-seed';

type HandlerModule = typeof import('../../handlers/remediate');

type HandlerResult = Awaited<ReturnType<HandlerModule['handler']>>;

/** A handler's answer, which must be a report (not a sweep continuation). */
export function asReport(result: HandlerResult): Report {
  if ('sweep' in result) throw new Error('expected a report, got a sweep continuation');
  if ('ignored' in result) throw new Error(`expected a report, the event was ignored: ${result.ignored}`);
  return result;
}

export interface Harness {
  em: Emulator;
  aws: SeedClients;
  buildHandler: HandlerModule['buildHandler'];
  /** The module's own handler, configured from process.env at import. */
  coldStartHandler: HandlerModule['handler'];
}

/**
 * The settings tests build handlers with. Associations are unpaced so that tests run at the
 * emulator's speed; pacing has a test of its own.
 */
export const TEST_ENV = { AWS_REGION: REGION, REPORT_WHEN: 'always', ASSOCIATE_TPS: '0' } as const;

/** A logger that writes nothing, for handlers built in tests. */
export const silentLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

/** Register beforeAll/afterAll for this file; the returned object is filled in before the tests run. */
export function useEmulator(): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.em = await startEmulator();
    Object.assign(process.env, emulatorEnv(harness.em), {
      KMS_KEY_ID: 'alias/logs-kms-remediator',
      REPORT_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:logs-kms-remediator-reports`,
      REPORT_WHEN: 'always',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      // EMF lines on stdout would drown the test output; the metrics adapter has unit tests.
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const handlerModule = await import('../../handlers/remediate');
    harness.buildHandler = handlerModule.buildHandler;
    harness.coldStartHandler = handlerModule.handler;
    harness.aws = seedClients(harness.em.endpoint);
  });
  afterAll(async () => {
    await harness.em?.stop();
  });
  return harness;
}
