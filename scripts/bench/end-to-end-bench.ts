import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runLocalMigration } from '../../src/local/run-local-migration.ts';
import { logger } from '../../src/logger.ts';
import type { OutcomeCounts } from '../../src/model/outcome.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import { workOsWriteLimit } from '../../tools/workos-emulator/src/rate-limiter.ts';
import type { EmulatorStats } from '../../tools/workos-emulator/src/stats.ts';
import { startWorkOsEmulator } from '../../tools/workos-emulator/src/workos-emulator.ts';
import { TimedUserDirectory } from './timed-user-directory.ts';

/** WorkOS's write limit per second (500 per 10 s). */
export const workOsWritesPerSecond = (workOsWriteLimit.requests * 1000) / workOsWriteLimit.windowMs;

/**
 * How the exports are handed to local mode: the users export alone; it and its password export
 * as one job (each user written once, with its hash); or the two as separate jobs one after the
 * other (the second looks each user up and updates it).
 */
export type EndToEndJobs = 'users' | 'one job' | 'two jobs';

export interface EndToEndCase {
  name: string;
  jobs: EndToEndJobs;
  /** `runLocalMigration`'s jobs: a path is a job of one file, a list of paths one job of those. */
  files: (string | string[])[];
  /** People in the files: the ideal is one WorkOS write each. */
  users: number;
  /** Records in the files (users and password lines): each must end in one outcome. */
  records: number;
  /** The emulator enforces WorkOS's limits, or none. */
  limits: 'workos' | 'off';
  /** In this process, as `migrate local --emulator` runs it, or in a child process of its own. */
  emulator: 'in-process' | 'child-process';
  writesPerSecond: number;
  maxConcurrency: number;
}

export interface EndToEndResult {
  case: Omit<EndToEndCase, 'files'>;
  wallMs: number;
  /** users / writesPerSecond: the run time a perfectly paced pipeline would need. */
  idealMs: number | undefined;
  counts: OutcomeCounts;
  unaccounted: number;
  acceptedWrites: number;
  /** Accepted writes over the whole wall time, start-up and tail included. */
  writesPerSecondOverall: number;
  /** Accepted writes between the first and the last one sent: the rate the pacer held. */
  writesPerSecondSustained: number;
  emulator: Pick<
    EmulatorStats,
    'requests' | 'writes' | 'reads' | 'rateLimited' | 'usersCreated' | 'usersUpdated' | 'userCount'
  >;
}

const apiKey = 'sk_test_local_emulator';

export async function runEndToEnd(bench: EndToEndCase): Promise<EndToEndResult> {
  const emulator =
    bench.emulator === 'in-process'
      ? await inProcessEmulator(bench.limits)
      : await childProcessEmulator(bench.limits);
  try {
    const directory = new TimedUserDirectory(
      new WorkOsUserDirectory(
        createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 10_000 }),
      ),
    );
    // As the CLI runs: per-record INFO lines off, warnings (rate limits) still on.
    logger.setLogLevel('WARN');
    const started = performance.now();
    const result = await runLocalMigration({
      files: bench.files,
      format: 'auth0',
      directory,
      writesPerSecond: bench.writesPerSecond,
      maxConcurrency: bench.maxConcurrency,
      maxReceiveCount: 5,
      logger,
    });
    const wallMs = performance.now() - started;
    const stats = await emulator.stats();
    const { acceptedWrites, firstWriteAt, lastWriteAt } = directory.timeline;
    const writeSpanMs =
      firstWriteAt === undefined || lastWriteAt === undefined ? 0 : lastWriteAt - firstWriteAt;
    const { files: _files, ...described } = bench;
    return {
      case: described,
      wallMs,
      idealMs: bench.limits === 'workos' ? (bench.users / bench.writesPerSecond) * 1000 : undefined,
      counts: result.counts,
      unaccounted: result.unaccounted,
      acceptedWrites,
      writesPerSecondOverall: acceptedWrites / (wallMs / 1000),
      // n writes sent over a span hold n - 1 intervals.
      writesPerSecondSustained: writeSpanMs > 0 ? (acceptedWrites - 1) / (writeSpanMs / 1000) : 0,
      emulator: {
        requests: stats.requests,
        writes: stats.writes,
        reads: stats.reads,
        rateLimited: stats.rateLimited,
        usersCreated: stats.usersCreated,
        usersUpdated: stats.usersUpdated,
        userCount: stats.userCount,
      },
    };
  } finally {
    await emulator.close();
  }
}

interface BenchEmulator {
  url: string;
  stats(): Promise<EmulatorStats>;
  close(): Promise<void>;
}

async function inProcessEmulator(limits: EndToEndCase['limits']): Promise<BenchEmulator> {
  const emulator = await startWorkOsEmulator(
    limits === 'workos' ? {} : { writeLimit: false, readLimit: false },
  );
  return { url: emulator.url, stats: async () => emulator.stats(), close: () => emulator.close() };
}

const emulatorScript = fileURLToPath(new URL('./emulator-process.ts', import.meta.url));

async function childProcessEmulator(limits: EndToEndCase['limits']): Promise<BenchEmulator> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      emulatorScript,
      limits === 'workos' ? 'limited' : 'unlimited',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  if (child.stdout === null || child.stdin === null)
    throw new Error('Emulator process has no pipes');
  const [firstLine] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { url } = JSON.parse(firstLine) as { url: string };
  const stdin = child.stdin;
  return {
    url,
    async stats() {
      const response = await fetch(`${url}/__emulator/stats`);
      return (await response.json()) as EmulatorStats;
    },
    async close() {
      const exited = once(child, 'exit');
      stdin.end();
      await exited;
    },
  };
}
