import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { EmulatorStats } from '../../tools/workos-emulator/src/stats.ts';

const run = promisify(execFile);
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run migrate -- <args>` in a child process, as an operator runs it, with `environment`
 * added to this process's (the integration tests' AWS_ENDPOINT_URL, region and dummy
 * credentials: the SDK's default chain then finds moto).
 */
export function runMigrateCli(
  args: string[],
  environment: Record<string, string>,
): Promise<CliResult> {
  return run(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'src/cli/main.ts', ...args],
    { cwd: repositoryRoot, env: { ...process.env, ...environment } },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CliResult) => error,
  );
}

/** A `migrate` child process the test can signal while it runs. */
export interface RunningMigrateCli {
  child: ChildProcess;
  /** Everything it wrote to stdout so far. */
  stdout: () => string;
  /** Settles when it exits: its exit code (128 + n for signal n), stdout and stderr. */
  exited: Promise<CliResult>;
}

const signalNumbers: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** `npm run migrate -- <args>` in a child process that keeps running while the test goes on. */
export function startMigrateCli(
  args: string[],
  environment: Record<string, string>,
): RunningMigrateCli {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'src/cli/main.ts', ...args],
    { cwd: repositoryRoot, env: { ...process.env, ...environment }, stdio: 'pipe' },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      const byName = signal === null ? undefined : signalNumbers[signal];
      resolve({ code: code ?? 128 + (byName ?? 0), stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, exited };
}

/** The WorkOS emulator in a process of its own (`migrate emulator`) on a free loopback port. */
export async function startEmulatorProcess(apiKey: string) {
  const port = await freeLoopbackPort();
  const running = startMigrateCli(
    [
      'emulator',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--api-key',
      apiKey,
      '--no-rate-limit',
    ],
    {},
  );
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; !running.stdout().includes('listening on'); tries += 1) {
    if (running.child.exitCode !== null || tries > 200) {
      throw new Error(`The emulator did not start: ${(await running.exited).stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stats(): Promise<EmulatorStats> {
      const response = await fetch(`${url}/__emulator/stats`);
      return (await response.json()) as EmulatorStats;
    },
    /** Every user the emulator holds, page by page. */
    async users(): Promise<{ id: string; email: string }[]> {
      const users: { id: string; email: string }[] = [];
      let after: string | null = null;
      do {
        const query: string = `limit=100&order=asc${after === null ? '' : `&after=${after}`}`;
        const response = await fetch(`${url}/user_management/users?${query}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        const page = (await response.json()) as {
          data: { id: string; email: string }[];
          list_metadata: { after: string | null };
        };
        users.push(...page.data);
        after = page.list_metadata.after;
      } while (after !== null);
      return users;
    },
    async close(): Promise<void> {
      running.child.kill('SIGTERM');
      await running.exited;
    },
  };
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
