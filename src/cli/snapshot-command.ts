import { takeWorkOsSnapshot } from '../snapshot/take-workos-snapshot.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../workos/workos-user-directory.ts';
import { type CommandIo, runCommand } from './command-context.ts';
import {
  snapshotProgressPrinter,
  workOsTargetFromEnvironment,
  writeSnapshotFile,
} from './workos-snapshot-options.ts';

export interface SnapshotCommandOptions {
  out: string;
  json?: boolean;
  /** Reads per second for the listing (WorkOS allows 1,000 per 10 s). */
  readRate?: number;
}

/**
 * `migrate snapshot`: lists every user of the WorkOS environment (reads only, paced to the read
 * budget) into a file that `local --snapshot` and `validate --snapshot` read, so a plan and the
 * run that follows it see the same environment.
 */
export async function runSnapshotCommand(
  options: SnapshotCommandOptions,
  io: CommandIo = {},
): Promise<number> {
  return runCommand(
    io,
    { json: options.json === true, failureExitCode: 2 },
    async ({ out, err }) => {
      const { apiKey, apiUrl } = workOsTargetFromEnvironment();
      err(`Listing the users of WorkOS at ${apiUrl} (reads only)\n`);
      const directory = new WorkOsUserDirectory(
        createWorkOsClient({ apiKey, apiUrl, timeoutMs: 10_000 }),
      );
      const { snapshot, pagesRead, rateLimited } = await takeWorkOsSnapshot({
        directory,
        ...(options.readRate === undefined ? {} : { readsPerSecond: options.readRate }),
        onPage: snapshotProgressPrinter(err),
      });
      await writeSnapshotFile(options.out, snapshot);
      const figures = {
        users: snapshot.size,
        pagesRead,
        rateLimited,
        bytes: snapshot.bytesUsed(),
        file: options.out,
      };
      out(
        options.json
          ? `${JSON.stringify(figures)}\n`
          : `WorkOS snapshot: ${snapshot.size} users in ${pagesRead} reads (${rateLimited} answered 429), written to ${options.out}\n`,
      );
      return 0;
    },
  );
}
