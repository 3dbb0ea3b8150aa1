/**
 * What every command shares, built once per invocation: the SDK clients (the standard credential
 * chain, --region, AWS_ENDPOINT_URL), the function's own adapters, and ports fit for a terminal:
 * nothing is published (the CLI prints its report) and no metrics are emitted.
 */
import { createClients } from '../lib/aws/clients';
import { createKeyPolicyWriter } from '../lib/aws/key-policy-writer';
import { createKeysAdapter } from '../lib/aws/kms';
import { createLogGroupsAdapter } from '../lib/aws/log-groups';
import type { Config } from '../lib/core/config';
import type { KeyPolicyPort, LogPort, Ports } from '../lib/core/ports';
import type { Io } from './io';

export interface Session {
  config: Readonly<Config>;
  ports: Ports;
  keyPolicy: KeyPolicyPort;
}

export function openSession(config: Readonly<Config>, io: Io, verbose: boolean): Session {
  const clients = createClients({ region: config.region, maxAttempts: config.maxAttempts });
  const ports: Ports = {
    logGroups: createLogGroupsAdapter(clients.logs, {
      describeTps: config.describeLogGroupsTps,
      associateTps: config.associateTps,
    }),
    keys: createKeysAdapter(clients.kms),
    reports: {
      async publishReport() {
        // Never called: the CLI runs the pipeline itself and prints the report it returns.
      },
    },
    metrics: { recordRun() {} },
    log: verbose ? createStderrLog(io) : SILENT_LOG,
    now: () => new Date(),
  };
  return { config, ports, keyPolicy: createKeyPolicyWriter(clients.kms) };
}

const SILENT_LOG: LogPort = { debug() {}, info() {}, warn() {}, error() {} };

/** --verbose: the function's log lines, one per line on stderr (debug left out). */
function createStderrLog(io: Io): LogPort {
  const line =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      io.say(`${level} ${message}${extra.length ? ` ${JSON.stringify(Object.assign({}, ...extra))}` : ''}`);
  return { debug() {}, info: line('INFO'), warn: line('WARN'), error: line('ERROR') };
}
