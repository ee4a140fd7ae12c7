import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { startWorkOsEmulator } from '../../tools/workos-emulator/src/workos-emulator.ts';
import { ConfigError } from '../errors.ts';
import { runLocalMigration } from '../local/run-local-migration.ts';
import { logger } from '../logger.ts';
import { formatOutcomeReport } from '../model/outcome-report.ts';
import { WorkOsOrganizationDirectory } from '../workos/organization-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../workos/workos-user-directory.ts';
import { runCommand } from './command-context.ts';
import { type JobOptionFlags, jobOptionsOf } from './job-options.ts';
import { formatMigrationSummary, summarizeMigration } from './summary.ts';

export interface LocalCommandOptions extends JobOptionFlags {
  emulator: boolean;
  /** Print the summary as one JSON object (the same figures as the text). */
  json?: boolean;
  report?: string;
  rate: number;
  concurrency: number;
  maxReceives: number;
}

/** `migrate local`: returns the process exit code (non-zero when any user failed). */
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
      { json: options.json === true, failureExitCode: 2 },
      async ({ out, err, notes }) => {
        const apiKey = emulator ? 'sk_test_local_emulator' : process.env.WORKOS_API_KEY;
        const apiUrl = emulator?.url ?? process.env.WORKOS_API_URL ?? 'https://api.workos.com';
        if (!apiKey) {
          throw new ConfigError(
            'Set WORKOS_API_KEY (and WORKOS_API_URL for a non-default API), or pass --emulator.',
          );
        }
        const target = emulator
          ? `the embedded WorkOS emulator (${apiUrl})`
          : `WorkOS at ${apiUrl}`;
        err(`Importing ${files.join(', ')} into ${target}\n`);

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
        });
        const elapsedMs = performance.now() - started;

        if (options.report) {
          await mkdir(dirname(options.report), { recursive: true });
          await writeFile(options.report, formatOutcomeReport(result.outcomes));
        }
        const summary = summarizeMigration(result, elapsedMs);
        out(`${options.json ? JSON.stringify(summary) : formatMigrationSummary(summary)}\n`);
        if (options.report) notes(`  report: ${options.report}\n`);
        if (result.counts.failed > 0 || result.unaccounted !== 0) {
          notes(
            `FAILED: ${result.counts.failed} user(s) could not be imported${
              result.unaccounted ? ` and ${result.unaccounted} record(s) have no outcome` : ''
            }; see the reasons above${options.report ? ' and the report' : ''}.\n`,
          );
          return 1;
        }
        return 0;
      },
    );
  } finally {
    await emulator?.close();
  }
}
