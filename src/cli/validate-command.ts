import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatOutcomeReport } from '../model/outcome-report.ts';
import { formatValidationSummary, validateExport } from '../operations/validate-export.ts';
import { type CommandIo, runCommand } from './command-context.ts';
import { type JobOptionFlags, jobOptionsOf } from './job-options.ts';

export interface ValidateCommandOptions extends JobOptionFlags {
  json: boolean;
  report?: string;
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
  return runCommand(io, { json: options.json, failureExitCode: 2 }, async ({ out }) => {
    const summary = await validateExport({
      files,
      ...(options.format === undefined ? {} : { format: options.format }),
      options: await jobOptionsOf(options),
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
