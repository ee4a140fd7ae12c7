/**
 * vitest globalSetup for the integration project: makes an AWS API emulator available to every
 * test file as `inject('awsEndpoint')`.
 *
 * - `AWS_ENDPOINT_URL` set (LocalStack, or a moto you started yourself): used as is.
 * - Otherwise: starts `moto_server` on a free loopback port and stops it on teardown.
 *
 * It also points the SDK's defaults at the emulator (region, dummy credentials,
 * `AWS_ENDPOINT_URL`) in this process's environment, which the test workers inherit, so a client
 * built with `new SQSClient({})` (as the Lambda handlers do at module scope) can never reach a
 * real AWS account from a test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { testAwsCredentials, testAwsRegion } from './aws-clients.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the AWS API emulator, e.g. `http://127.0.0.1:40123`. */
    awsEndpoint: string;
    awsRegion: string;
    awsCredentials: { accessKeyId: string; secretAccessKey: string };
    /** The variables that point the SDK's defaults at the emulator, for code that reads `process.env`. */
    awsEnvironment: Record<string, string>;
  }
}

const healthTimeoutMs = 20_000;
const startAttempts = 3;
const stopTimeoutMs = 5_000;
const outputLinesKept = 40;

export default async function setupAwsEmulator(project: TestProject): Promise<() => Promise<void>> {
  const configuredEndpoint = process.env.AWS_ENDPOINT_URL?.trim();
  let moto: RunningMoto | undefined;
  let endpoint: string;
  if (configuredEndpoint) {
    endpoint = configuredEndpoint.replace(/\/+$/, '');
    await assertReachable(endpoint);
  } else {
    moto = await startMoto();
    endpoint = moto.endpoint;
  }

  const awsEnvironment: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: testAwsRegion,
    AWS_DEFAULT_REGION: testAwsRegion,
    AWS_ACCESS_KEY_ID: testAwsCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testAwsCredentials.secretAccessKey,
  };
  const restoreEnvironment = overrideEnvironment(awsEnvironment, [
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
  ]);

  project.provide('awsEndpoint', endpoint);
  project.provide('awsRegion', testAwsRegion);
  project.provide('awsCredentials', { ...testAwsCredentials });
  project.provide('awsEnvironment', awsEnvironment);

  return async () => {
    restoreEnvironment();
    await moto?.stop();
  };
}

interface RunningMoto {
  endpoint: string;
  stop(): Promise<void>;
}

async function startMoto(): Promise<RunningMoto> {
  const command = findExecutable('moto_server');
  if (!command) {
    throw new Error(
      'Integration tests need an AWS emulator, and `moto_server` is not on PATH. ' +
        'Install it with `pip install "moto[server]"`, or set AWS_ENDPOINT_URL to a running ' +
        'emulator (moto or LocalStack).',
    );
  }
  const failures: string[] = [];
  // Another process can take the port between our probe and moto's bind; try a fresh one.
  for (let attempt = 1; attempt <= startAttempts; attempt += 1) {
    const port = await findFreePort();
    const started = await startMotoOnPort(command, port);
    if ('endpoint' in started) return started;
    failures.push(`port ${port}: ${started.failure}`);
  }
  throw new Error(`moto_server did not start:\n${failures.join('\n')}`);
}

/**
 * moto runs under a small Node watchdog whose stdin is a pipe from this process. The kernel closes
 * that pipe however this process ends (even SIGKILL), and the watchdog then stops moto, so no
 * emulator outlives the test run.
 */
const watchdogSource = `
const { spawn } = process.getBuiltinModule('node:child_process');
const [command, ...args] = process.argv.slice(1);
const server = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.kill('SIGTERM');
  setTimeout(() => server.kill('SIGKILL'), 3000).unref();
};
process.stdin.on('end', stop).on('close', stop).on('error', stop).resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);
server.on('error', (error) => { console.error(String(error)); process.exit(127); });
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`;

async function startMotoOnPort(
  command: string,
  port: number,
): Promise<RunningMoto | { failure: string }> {
  const endpoint = `http://127.0.0.1:${port}`;
  const watchdog = spawn(
    process.execPath,
    ['-e', watchdogSource, command, '-H', '127.0.0.1', '-p', String(port)],
    { stdio: ['pipe', 'pipe', 'pipe'], detached: false },
  );
  const output = keepRecentOutput(watchdog);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    watchdog.once('exit', (code, signal) => {
      exit = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
  });
  const killOnExit = (): void => {
    watchdog.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exit) return;
    watchdog.stdin?.end();
    watchdog.kill('SIGTERM');
    const timer = setTimeout(() => watchdog.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + healthTimeoutMs;
  while (Date.now() < deadline) {
    if (exit) {
      await stop();
      return { failure: `moto_server stopped (${exit}) before it was healthy.\n${output()}` };
    }
    if (await isHealthy(`${endpoint}/moto-api/`)) return { endpoint, stop };
    await sleep(100);
  }
  await stop();
  return {
    failure: `moto_server was not healthy at ${endpoint}/moto-api/ within ${healthTimeoutMs} ms.\n${output()}`,
  };
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function assertReachable(endpoint: string): Promise<void> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
  } catch (error) {
    throw new Error(
      `AWS_ENDPOINT_URL=${endpoint} is not reachable. Start the emulator, or unset ` +
        'AWS_ENDPOINT_URL to let the tests start moto_server themselves.',
      { cause: error },
    );
  }
}

/** Drains the child's output (a full pipe would block moto) and keeps the tail for error messages. */
function keepRecentOutput(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - outputLinesKept));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('Could not find a free port on 127.0.0.1');
  }
  return address.port;
}

function findExecutable(name: string): string | undefined {
  const extensions =
    process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (!directory) continue;
    for (const extension of extensions) {
      const candidate = join(directory, name + extension);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

/** Sets `values`, removes `removed`, and returns a function that puts everything back. */
function overrideEnvironment(values: Record<string, string>, removed: string[]): () => void {
  const names = [...Object.keys(values), ...removed];
  const previous = new Map(names.map((name) => [name, process.env[name]]));
  for (const name of removed) delete process.env[name];
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
