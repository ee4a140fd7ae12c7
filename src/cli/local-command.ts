import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startWorkOsEmulator } from '../../tools/workos-emulator/src/workos-emulator.ts';
import { ConfigError } from '../errors.ts';
import { SqliteMigrationLedger } from '../ledger/sqlite-ledger.ts';
import { localJobIdOf, runLocalMigration } from '../local/run-local-migration.ts';
import { lockStateFile } from '../local/state-lock.ts';
import { logger } from '../logger.ts';
import { formatOutcomeReport } from '../model/outcome-report.ts';
import { WorkOsOrganizationDirectory } from '../workos/organization-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../workos/workos-user-directory.ts';
import { runCommand } from './command-context.ts';
import { type JobOptionFlags, jobOptionsOf } from './job-options.ts';
import { formatMigrationSummary, summarizeMigration } from './summary.ts';
import {
  readSnapshotFile,
  snapshotProgressPrinter,
  workOsTargetFromEnvironment,
} from './workos-snapshot-options.ts';

export interface LocalCommandOptions extends JobOptionFlags {
  emulator: boolean;
  /** Print the summary as one JSON object (the same figures as the text). */
  json?: boolean;
  report?: string;
  /** The job's state file; see {@link stateFileOf} for the default. */
  state?: string;
  /** Forget what the state file knows of this job and import it from the top. */
  fresh?: boolean;
  rate: number;
  concurrency: number;
  maxReceives: number;
}

/** Exit code of a run stopped by Ctrl-C, as a shell reports a process ended by SIGINT. */
export const interruptedExitCode = 130;

/**
 * Where local mode keeps a job: `--state`, else beside the report (`<report>.state.db`), else
 * `.migrate/<job id>.state.db` in the working directory. Runs against the embedded emulator keep
 * no state unless `--state` is given: that WorkOS ends with the process, so a resume would
 * report users that are gone.
 */
export function stateFileOf(
  options: Pick<LocalCommandOptions, 'state' | 'report' | 'emulator'>,
  jobId: string,
): string | undefined {
  if (options.state) return options.state;
  if (options.emulator) return undefined;
  if (options.report) return `${options.report}.state.db`;
  return join('.migrate', `${jobId}.state.db`);
}

/**
 * `migrate local`: returns the process exit code (1 when a record failed, 130 when Ctrl-C
 * stopped it). The job is kept in a state file, so running the same command again continues it.
 */
export async function runLocalCommand(
  files: string[],
  options: LocalCommandOptions,
): Promise<number> {
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('WARN');
  const emulator = options.emulator ? await startWorkOsEmulator() : undefined;
  try {
    // With --json, stdout holds the one object and the notes go to stderr.
    return await runCommand(
      {},
      {
        json: options.json === true,
        failureExitCode: 2,
        interrupt:
          'Stopping: no new batches; the ones in flight finish… (Ctrl-C again to quit at once)',
      },
      async ({ out, err, notes, signal }) => {
        const { apiKey, apiUrl } = emulator
          ? { apiKey: 'sk_test_local_emulator', apiUrl: emulator.url }
          : workOsTargetFromEnvironment(
              'Set WORKOS_API_KEY (and WORKOS_API_URL for a non-default API), or pass --emulator.',
            );
        const target = emulator
          ? `the embedded WorkOS emulator (${apiUrl})`
          : `WorkOS at ${apiUrl}`;
        err(`Importing ${files.join(', ')} into ${target}\n`);

        const jobId = await localJobIdOf(files);
        const statePath = stateFileOf(options, jobId);
        const lock = statePath === undefined ? undefined : lockStateFile(statePath);
        const ledger = statePath === undefined ? undefined : openStateFile(statePath);
        try {
          if (ledger !== undefined && options.fresh) ledger.forgetJob(jobId);
          if (statePath !== undefined) err(`  state: ${statePath}\n`);

          // The embedded emulator starts empty: there is nothing to list.
          const snapshot =
            emulator !== undefined || options.snapshot === false
              ? undefined
              : typeof options.snapshot === 'string'
                ? await readSnapshotFile(options.snapshot)
                : ('take' as const);
          const started = performance.now();
          const workos = createWorkOsClient({ apiKey, apiUrl, timeoutMs: 10_000 });
          const result = await runLocalMigration({
            files: [files],
            ...(options.format === undefined ? {} : { format: options.format }),
            jobOptions: await jobOptionsOf(options),
            directory: new WorkOsUserDirectory(workos),
            organizations: new WorkOsOrganizationDirectory(workos),
            writesPerSecond: options.rate,
            maxConcurrency: options.concurrency,
            maxReceiveCount: options.maxReceives,
            logger,
            ...(ledger === undefined ? {} : { ledger }),
            ...(signal === undefined ? {} : { signal }),
            ...(snapshot === undefined
              ? {}
              : { snapshot, onSnapshotPage: snapshotProgressPrinter(err) }),
          });
          const elapsedMs = performance.now() - started;
          return await reportRun(result, elapsedMs, { options, statePath, out, notes });
        } finally {
          ledger?.close();
          lock?.release();
        }
      },
    );
  } finally {
    await emulator?.close();
  }
}

function openStateFile(path: string): SqliteMigrationLedger {
  try {
    return new SqliteMigrationLedger(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot open the state file ${path} (${error instanceof Error ? error.message : String(error)}); ` +
        'pass --state FILE to keep it elsewhere.',
    );
  }
}

/** Writes the report, prints the summary and says what the exit code means. */
async function reportRun(
  result: Awaited<ReturnType<typeof runLocalMigration>>,
  elapsedMs: number,
  {
    options,
    statePath,
    out,
    notes,
  }: {
    options: LocalCommandOptions;
    statePath: string | undefined;
    out: (text: string) => void;
    notes: (text: string) => void;
  },
): Promise<number> {
  if (options.report) {
    await mkdir(dirname(options.report), { recursive: true });
    await writeFile(options.report, formatOutcomeReport(result.outcomes));
  }
  const summary = summarizeMigration(result, elapsedMs);
  out(`${options.json ? JSON.stringify(summary) : formatMigrationSummary(summary)}\n`);
  if (options.report) notes(`  report: ${options.report}\n`);
  if (result.interrupted) {
    notes(
      statePath === undefined
        ? 'STOPPED: this run kept no state (the embedded emulator); the records not settled were not imported.\n'
        : `STOPPED: the job is kept in ${statePath}; run the same command again to continue it.\n`,
    );
    return interruptedExitCode;
  }
  if (summary.start === 'finished') {
    notes('  This job was finished before; pass --fresh to import the files again.\n');
  }
  if (result.counts.failed > 0 || result.unaccounted !== 0) {
    notes(
      `FAILED: ${result.counts.failed} user(s) could not be imported${
        result.unaccounted ? ` and ${result.unaccounted} record(s) have no outcome` : ''
      }; see the reasons above${options.report ? ' and the report' : ''}.\n`,
    );
    return 1;
  }
  return 0;
}
