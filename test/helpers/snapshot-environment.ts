import { upsertUser } from '../../src/import/upsert-user.ts';
import { InMemoryMigrationLedger } from '../../src/ledger/in-memory-ledger.ts';
import {
  type ImportMessage,
  recordPosition,
  type UserMessage,
} from '../../src/model/import-message.ts';
import type { ManifestOptions } from '../../src/model/job-manifest.ts';
import type { RecordOutcome } from '../../src/model/outcome.ts';
import { type WorkOsSnapshot, WorkOsSnapshotBuilder } from '../../src/snapshot/workos-snapshot.ts';
import type { OpenKey } from '../../src/split/describe-job.ts';
import type { JobSource } from '../../src/split/job-source.ts';
import { runSplit } from '../../src/split/run-split.ts';
import type { SplitStart } from '../../src/split/split-export.ts';
import type { UserDirectory } from '../../src/workos/user-directory.ts';

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Opens in-memory files by name, as a job source opens S3 objects or files on disk. */
export function openTexts(texts: Record<string, string>): OpenKey {
  return async (key) => {
    const text = texts[key];
    if (text === undefined) throw new Error(`no file ${key}`);
    return (async function* () {
      yield Buffer.from(text);
    })();
  };
}

/**
 * Splits a job as the splitter does (`runSplit`), into a list instead of a queue: the messages it
 * sends and the outcomes it settles, in record order, beside the passes and the summary.
 */
export async function splitIntoList(
  source: JobSource,
  {
    jobId = 'job_snapshot',
    snapshot,
    start,
  }: { jobId?: string; snapshot?: WorkOsSnapshot; start?: SplitStart } = {},
) {
  const ledger = new InMemoryMigrationLedger();
  await ledger.claimSplit({ jobId, sourceFile: 'in-memory job' }, Number.MAX_SAFE_INTEGER);
  const messages: ImportMessage[] = [];
  const run = await runSplit(
    {
      jobId,
      source,
      ...(snapshot === undefined ? {} : { snapshot }),
      ...(start === undefined ? {} : { start }),
    },
    {
      sink: {
        async enqueue(message) {
          messages.push(message);
        },
        async flush() {},
      },
      ledger,
      logger: silentLogger,
    },
  );
  const outcomes: RecordOutcome[] = [];
  for await (const outcome of ledger.listOutcomes(jobId)) outcomes.push(outcome);
  outcomes.sort((a, b) => recordPosition(a.origin) - recordPosition(b.origin));
  return { ...run, ledger, messages, outcomes };
}

export const userMessagesOf = (messages: ImportMessage[]) =>
  messages.filter((message): message is UserMessage => 'user' in message);

/**
 * What an earlier run of the job left in WorkOS: each user message it splits into, written by
 * the consumer's upsert (the metadata, `import_digest` included, as the import writes it).
 */
export async function importUsersOf(
  directory: UserDirectory,
  source: JobSource,
  options: ManifestOptions = {},
): Promise<void> {
  const { messages } = await splitIntoList(source);
  for (const message of userMessagesOf(messages)) {
    await upsertUser(directory, message.user, options);
  }
}

/** The snapshot a listing of the directory takes: its users, in its listing order. */
export function snapshotOfDirectory(directory: {
  users: Map<string, Parameters<WorkOsSnapshotBuilder['add']>[0]>;
}): WorkOsSnapshot {
  const builder = new WorkOsSnapshotBuilder();
  for (const user of directory.users.values()) builder.add(user);
  return builder.build();
}
