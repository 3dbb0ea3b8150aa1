/**
 * Starts and controls the patched moto server (test/emulator/moto_server.py) for integration tests.
 *
 *   const em = await startEmulator();
 *   const logs = new CloudWatchLogsClient({ endpoint: em.endpoint, region: 'us-east-1', credentials });
 *   ...
 *   await em.stop();
 *
 * For benchmarks: em.seedLogGroups({ generate: { prefix: '/bench/g', count: 100_000, ... } }) creates
 * groups in about a second, DescribeLogGroups pages cost O(page + log N) (see setDescribeIndex), and
 * em.stats().latencyMs tells the emulator's handling time from the client's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** Error code -> probability in [0, 1], e.g. `{ ThrottlingException: 0.2 }`. */
export type ErrorRates = Record<string, number>;

/**
 * Fault injection settings, the same JSON as the `EMULATOR_FAULTS` environment variable.
 * Keys of `errorRates` / `tpsLimits`: `'*'` (logs and kms operations only), `'<service>.*'`
 * or `'<service>.<Operation>'` such as `'logs.AssociateKmsKey'` or, for a REST API, the operation
 * its method and path call: `'securityhub.BatchImportFindings'`. Security Hub's
 * `LimitExceededException` comes with HTTP 429 and `InvalidAccessException` with 401, as AWS sends them.
 */
export interface FaultSettings {
  /** Seed of the fault RNG (default: EMULATOR_FAULT_SEED, else 0). */
  seed?: number;
  /** Random errors answered before moto sees the request; rates of matching keys are merged. */
  errorRates?: Record<string, ErrorRates>;
  /**
   * Requests per second per operation, as a token bucket holding one second of requests (AWS
   * throttles with buckets too); a request that finds it empty gets ThrottlingException.
   */
  tpsLimits?: Record<string, number>;
  /**
   * Log group name (or glob) -> error code for AssociateKmsKey, DisassociateKmsKey and
   * ListTagsForResource naming that group. `ResourceNotFoundException` also deletes the group;
   * `IamAccessDenied` answers AccessDeniedException worded as IAM words a denial of the caller's role.
   */
  groupErrors?: Record<string, string>;
  /** After this many successful AssociateKmsKey calls, the key of the last one becomes Disabled. */
  disableKeyAfterAssociations?: number;
  /**
   * A quota that changes mid-run: once `after` AssociateKmsKey calls have succeeded, `tpsLimits`
   * replace the limits of the same keys (the buckets keep their tokens, capped at the new rate).
   */
  tpsLimitsAfterAssociations?: { after: number; tpsLimits: Record<string, number> };
}

/** Server-side handling time of one operation: moto's processing, injected faults excluded. */
export interface OperationLatency {
  /** Requests that reached moto (faulted ones are in `requests` and `faults` only). */
  count: number;
  /** Sum of their handling times, in milliseconds. */
  total: number;
  /** Longest handling time, in milliseconds. */
  max: number;
}

/**
 * Counters by `'<service>.<Operation>'`; faults by `'<service>.<Operation>.<ErrorCode>'`;
 * `latencyMs` by `'<service>.<Operation>'`. All reset by resetRequestCounts().
 */
export interface EmulatorStats {
  requests: Record<string, number>;
  faults: Record<string, number>;
  latencyMs: Record<string, OperationLatency>;
}

export type SeedLogGroupClass = 'STANDARD' | 'INFREQUENT_ACCESS' | 'DELIVERY';

/** One group for seedLogGroups(), made as CreateLogGroup makes it. */
export interface SeedLogGroup {
  name: string;
  /** Stored as given, like CreateLogGroup's kmsKeyId (not looked up in KMS). Absent: unencrypted. */
  kmsKeyId?: string;
  /** Default `'STANDARD'`. */
  logGroupClass?: SeedLogGroupClass;
  tags?: Record<string, string>;
}

/**
 * Generated groups named `${prefix}${index}`, the index zero-padded to 7 digits, for index in
 * [start, start + count): `{ prefix: '/bench/g', count: 3 }` makes `/bench/g0000000` to `/bench/g0000002`.
 * With `kmsKeyId`, every group gets that key except those whose index is a multiple of
 * `unencryptedEvery` (0 or absent: none, 1: all; index 0 is a multiple of everything).
 * Without `kmsKeyId` all are unencrypted, and `unencryptedEvery` is refused.
 */
export interface SeedLogGroupsGenerator {
  prefix: string;
  /** At most 1,000,000 per request; start + count must stay below 10,000,000. */
  count: number;
  /** First index (default 0), to append a second batch after a first one. */
  start?: number;
  unencryptedEvery?: number;
  kmsKeyId?: string;
  /** Class of every generated group (default `'STANDARD'`). */
  logGroupClass?: SeedLogGroupClass;
  /** Tags of every generated group. */
  tags?: Record<string, string>;
}

/**
 * Body of `POST /_emulator/logs/seed`: `groups`, `generate` or both (listed groups first).
 * Region and account default to `'us-east-1'` and `'123456789012'`.
 */
export type SeedLogGroupsRequest = { region?: string; account?: string } & (
  | { groups: SeedLogGroup[]; generate?: SeedLogGroupsGenerator }
  | { groups?: SeedLogGroup[]; generate: SeedLogGroupsGenerator }
);

export interface SeedLogGroupsResult {
  created: number;
}

/** `GET /_emulator/logs/index`: whether DescribeLogGroups pages come from the sorted name index. */
export interface DescribeIndexState {
  enabled: boolean;
  /** Pages served from the index since the emulator started. */
  indexedPages: number;
  /** Pages served by moto's own code (index off, filters moto ignores, stale or invalid tokens). */
  motoPages: number;
}

export interface PublishedMessage {
  TopicArn: string;
  Subject: string | null;
  MessageStructure: string | null;
  Message: string;
  MessageAttributes: Record<string, string>;
}

export interface Emulator {
  endpoint: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
  /** Clears all moto state (POST /moto-api/reset). Fault settings and stats are kept. */
  reset(): Promise<void>;
  /** Requests received per operation since start or the last resetRequestCounts(). */
  requestCounts(): Promise<Record<string, number>>;
  /** Zeroes request and fault counters, and forgets the SNS messages published. */
  resetRequestCounts(): Promise<void>;
  /** SNS Publish requests as sent (every protocol's rendering), oldest first, at most 100. */
  publishedMessages(): Promise<PublishedMessage[]>;
  stats(): Promise<EmulatorStats>;
  /** Replaces the fault settings (RNG re-seeded, TPS windows and association count restarted). */
  setFaults(settings: FaultSettings): Promise<void>;
  clearFaults(): Promise<void>;
  /**
   * Creates log groups straight in moto's backend: same objects as CreateLogGroup, not counted as
   * requests. All or nothing: rejects (HTTP 400, code ResourceAlreadyExistsException) if a name exists.
   */
  seedLogGroups(body: SeedLogGroupsRequest): Promise<SeedLogGroupsResult>;
  describeIndex(): Promise<DescribeIndexState>;
  /**
   * Off: DescribeLogGroups answers every page with moto's own O(N log N) code (the answers are the
   * same either way), to compare answers or timings. On by default, or per EMULATOR_DESCRIBE_INDEX.
   */
  setDescribeIndex(enabled: boolean): Promise<DescribeIndexState>;
}

export interface StartEmulatorOptions {
  /**
   * Extra environment for the Python process, e.g. `{ EMULATOR_FAULTS: JSON.stringify(settings) }`
   * or `{ EMULATOR_DESCRIBE_INDEX: '0' }` (start with the DescribeLogGroups index off).
   * `EMULATOR_PYTHON` here (or in process.env) picks the Python executable (default `python3`).
   */
  env?: Record<string, string>;
  /** How long to wait for the READY line (default 30 s). */
  timeoutMs?: number;
}

export const MOTO_INSTALL_HINT = 'install it with `pip install "moto[server]"`';

const LAUNCHER = path.join(__dirname, 'moto_server.py');
const DEFAULT_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 16_000;
const START_ATTEMPTS = 3;

/** Environment for code under test that builds its own SDK clients. */
export function emulatorEnv(em: Pick<Emulator, 'endpoint'>): {
  AWS_ENDPOINT_URL: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_REGION: string;
} {
  return {
    AWS_ENDPOINT_URL: em.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  };
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(await freePort(), options);
    } catch (err) {
      // Another process may grab the port between freePort() and the bind: pick a new one.
      if (!(err instanceof PortInUseError) || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

class PortInUseError extends Error {}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

function launch(port: number, options: StartEmulatorOptions): Promise<Emulator> {
  const python = options.env?.EMULATOR_PYTHON || process.env.EMULATOR_PYTHON || 'python3';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = spawn(python, [LAUNCHER, '--port', String(port)], {
    env: { ...process.env, ...options.env, EMULATOR_PARENT_PID: String(process.pid), PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });

  return new Promise<Emulator>((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(new Error(`AWS emulator did not print READY within ${timeoutMs} ms.${describeStderr(stderr)}`)),
      timeoutMs,
    );
    child.once('error', (err) =>
      fail(new Error(`Cannot run "${python}" (set EMULATOR_PYTHON to a Python 3 with moto): ${err.message}`)),
    );
    child.once('exit', (code, signal) => {
      if (/Address already in use/i.test(stderr)) return fail(new PortInUseError(`port ${port} is taken`));
      const hint =
        code === 3 || /No module named/.test(stderr) ? `\nmoto is missing: ${MOTO_INSTALL_HINT}.` : '';
      fail(
        new Error(
          `AWS emulator (${python} ${LAUNCHER}) exited with ${signal ?? `code ${code}`} before it was ready.` +
            `${hint}${describeStderr(stderr)}`,
        ),
      );
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (settled) return; // Keep draining stdout so the child never blocks on a full pipe.
      stdout += chunk;
      const ready = /^READY (\d+)\r?\n/m.exec(stdout); // whole line: the port may arrive in two chunks
      if (!ready) return;
      settled = true;
      clearTimeout(timer);
      resolve(controller(child, Number(ready[1]), exited));
    });
  });
}

function describeStderr(stderr: string): string {
  return stderr.trim() ? `\n--- emulator stderr ---\n${stderr.trim()}` : '';
}

function controller(child: ChildProcess, port: number, exited: Promise<void>): Emulator {
  const endpoint = `http://127.0.0.1:${port}`;
  const pid = child.pid ?? 0;
  // If the test process exits without stop(), do not leave a server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const request = async (method: 'GET' | 'POST', route: string, body?: unknown): Promise<string> => {
    const response = await fetch(`${endpoint}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`AWS emulator ${method} ${route} failed (${response.status}): ${text}`);
    return text;
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), KILL_GRACE_MS).unref()),
      ]);
      if (timedOut) child.kill('SIGKILL');
      await exited;
    })();
    return stopping;
  };

  const stats = async (): Promise<EmulatorStats> =>
    JSON.parse(await request('GET', '/_emulator/stats')) as EmulatorStats;
  return {
    endpoint,
    port,
    pid,
    stop,
    stats,
    reset: async () => {
      await request('POST', '/moto-api/reset');
    },
    requestCounts: async () => (await stats()).requests,
    resetRequestCounts: async () => {
      await request('POST', '/_emulator/stats/reset');
    },
    publishedMessages: async () =>
      JSON.parse(await request('GET', '/_emulator/sns/published')) as PublishedMessage[],
    setFaults: async (settings: FaultSettings) => {
      await request('POST', '/_emulator/faults', settings);
    },
    clearFaults: async () => {
      await request('POST', '/_emulator/faults', {});
    },
    seedLogGroups: async (body: SeedLogGroupsRequest) =>
      JSON.parse(await request('POST', '/_emulator/logs/seed', body)) as SeedLogGroupsResult,
    describeIndex: async () =>
      JSON.parse(await request('GET', '/_emulator/logs/index')) as DescribeIndexState,
    setDescribeIndex: async (enabled: boolean) =>
      JSON.parse(await request('POST', '/_emulator/logs/index', { enabled })) as DescribeIndexState,
  };
}
