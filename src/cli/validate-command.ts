import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatOutcomeReport } from '../model/outcome-report.ts';
import { formatValidationSummary, validateExport } from '../operations/validate-export.ts';
import { takeWorkOsSnapshot } from '../snapshot/take-workos-snapshot.ts';
import type { WorkOsSnapshot } from '../snapshot/workos-snapshot.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../workos/workos-user-directory.ts';
import { type CommandIo, runCommand } from './command-context.ts';
import { type JobOptionFlags, jobOptionsOf } from './job-options.ts';
import {
  readSnapshotFile,
  snapshotProgressPrinter,
  workOsTargetFromEnvironment,
} from './workos-snapshot-options.ts';

export interface ValidateCommandOptions extends JobOptionFlags {
  json: boolean;
  report?: string;
  /** Read the job against the WorkOS environment (WORKOS_API_KEY), or `--snapshot <file>`. */
  againstWorkos?: boolean;
  /** The run's target writes per second, for the plan's time. */
  rate?: number;
}

/**
 * `migrate validate`: a preflight that reads the files exactly as the splitter will and prints
 * what would happen, calling no API. Exit code 0 when the files could be read (rejected records
 * are listed, not an error), 2 when they could not (unreadable, damaged, invalid manifest).
 */
export async function runValidateCommand(
  files: string[],
  options: ValidateCommandOptions,
  io: Omit<CommandIo, 'signal'> = {},
): Promise<number> {
  return runCommand(io, { json: options.json, failureExitCode: 2 }, async ({ out, err }) => {
    const snapshot = await snapshotToPlanWith(options, err);
    const summary = await validateExport({
      files,
      ...(options.format === undefined ? {} : { format: options.format }),
      options: await jobOptionsOf(options),
      ...(snapshot === undefined ? {} : { snapshot }),
      ...(options.rate === undefined ? {} : { writesPerSecond: options.rate }),
    });
    if (options.report) {
      await mkdir(dirname(options.report), { recursive: true });
      await writeFile(options.report, formatOutcomeReport(summary.settled));
    }
    if (options.json) {
      const { settled: _settled, ...counts } = summary;
      out(`${JSON.stringify(counts)}\n`);
    } else {
      out(`${formatValidationSummary(summary)}\n`);
      if (options.report) out(`Rejected and merged records: ${options.report}\n`);
    }
    return 0;
  });
}

/**
 * The snapshot a plan reads: `--snapshot <file>`, or with `--against-workos` a listing of the
 * environment now (reads only, paced to the read budget).
 */
async function snapshotToPlanWith(
  options: ValidateCommandOptions,
  err: (text: string) => void,
): Promise<WorkOsSnapshot | undefined> {
  if (typeof options.snapshot === 'string') return readSnapshotFile(options.snapshot);
  if (!options.againstWorkos) return undefined;
  const { apiKey, apiUrl } = workOsTargetFromEnvironment(
    'Set WORKOS_API_KEY (and WORKOS_API_URL) to validate against WorkOS, or pass --snapshot <file>.',
  );
  err(`Listing the users of WorkOS at ${apiUrl} (reads only)\n`);
  const directory = new WorkOsUserDirectory(
    createWorkOsClient({ apiKey, apiUrl, timeoutMs: 10_000 }),
  );
  const { snapshot } = await takeWorkOsSnapshot({
    directory,
    onPage: snapshotProgressPrinter(err),
  });
  return snapshot;
}
