import { InMemoryMigrationLedger } from '../ledger/in-memory-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import {
  type BlockedUserMessage,
  type ImportMessage,
  recordPosition,
} from '../model/import-message.ts';
import type { ManifestOptions, SourceFormat } from '../model/job-manifest.ts';
import type { RecordOutcome } from '../model/outcome.ts';
import type { ImportMessageSink } from '../queue/queue-types.ts';
import { jobOfFiles } from '../split/job-source.ts';
import type { JobToSplit } from '../split/plan-split.ts';
import { runSplit } from '../split/run-split.ts';

/** What a job would do, read exactly as the splitter reads it, with no API called. */
export interface ValidationSummary {
  job: Pick<JobToSplit, 'format' | 'files'>;
  /** Records read, in every file: each is imported, settled, or joined into another. */
  read: number;
  /** Messages the splitter would enqueue, by kind. */
  toImport: { users: number; organizations: number; memberships: number };
  /** Password-export records joined into their user (one write for both). */
  joined: number;
  /** Records settled before any API call: rejected, or merged into another with its email. */
  rejected: number;
  merged: number;
  rejectedByReason: Record<string, number>;
  /** Up to `examplesPerReason` records per reason, so the operator can find them. */
  rejectedExamples: Record<string, { sourceFile: string; line: number }[]>;
  /** Users to import with a password hash, by hash type. */
  passwordHashTypes: Record<string, number>;
  /** Users who will need a password reset, by why (`unsupported_hash`, `no_password_hash`...). */
  resetsNeeded: Record<string, number>;
  /** Other notes users carry (`mfa_reenrolment_required`, `metadata_not_imported`...), by code. */
  notes: Record<string, number>;
  /** Every settled record (rejected or merged), in file and line order, for a report. */
  settled: RecordOutcome[];
}

export interface ValidateExportOptions {
  /** The files of one job, or one manifest. */
  files: string[];
  format?: SourceFormat;
  options?: ManifestOptions;
  examplesPerReason?: number;
}

const silentLogger: PipelineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Reads a job's files exactly as the splitter does (the same description, plan and split, so
 * the same rejections, merges and joins) into a counting sink instead of a queue. What it
 * cannot know is WorkOS's side: whether a user will be created, updated or left unchanged.
 */
export async function validateExport({
  files,
  format,
  options,
  examplesPerReason = 3,
}: ValidateExportOptions): Promise<ValidationSummary> {
  const jobId = 'job_validate';

  const summary: ValidationSummary = {
    // Known once the split has described the job, before any record is counted.
    job: { format: 'auth0', files: [] },
    read: 0,
    toImport: { users: 0, organizations: 0, memberships: 0 },
    joined: 0,
    rejected: 0,
    merged: 0,
    rejectedByReason: {},
    rejectedExamples: {},
    passwordHashTypes: {},
    resetsNeeded: {},
    notes: {},
    settled: [],
  };
  const blockedOutcomes: RecordOutcome[] = [];
  const sink: ImportMessageSink = {
    async enqueue(message) {
      if ('blockedUser' in message) blockedOutcomes.push(...blockedUserOutcomes(message));
      else countMessage(summary, message);
    },
    async flush() {},
  };
  const ledger = new InMemoryMigrationLedger();
  await ledger.claimSplit({ jobId, sourceFile: files.join(', ') }, Number.MAX_SAFE_INTEGER);
  const { job, summary: split } = await runSplit(
    {
      jobId,
      source: jobOfFiles(files, undefined, {
        ...(format === undefined ? {} : { format }),
        ...(options === undefined ? {} : { options }),
      }),
    },
    { sink, ledger, logger: silentLogger },
  );
  summary.job = { format: job.format, files: job.files };
  summary.read = split.read;
  const settled = [...(await collect(ledger.listOutcomes(jobId))), ...blockedOutcomes].sort(
    (a, b) => recordPosition(a.origin) - recordPosition(b.origin),
  );
  for (const outcome of settled) {
    summary.settled.push(outcome);
    if (outcome.status === 'rejected') {
      summary.rejected += 1;
      const reason = outcome.reason ?? 'unknown';
      summary.rejectedByReason[reason] = (summary.rejectedByReason[reason] ?? 0) + 1;
      const examples = summary.rejectedExamples[reason] ?? [];
      if (examples.length < examplesPerReason) {
        examples.push({ sourceFile: outcome.origin.sourceFile, line: outcome.origin.line });
      }
      summary.rejectedExamples[reason] = examples;
    } else {
      summary.merged += 1;
    }
  }
  // Whatever was read and neither enqueued nor settled here is a joined password record.
  summary.joined =
    split.read -
    summary.toImport.users -
    summary.toImport.organizations -
    summary.toImport.memberships -
    summary.settled.length;
  return summary;
}

/**
 * A blocked user is checked against WorkOS by the consumer (a user this tool created for them
 * earlier is removed). Validate calls no API, so it reports the record as it ends when WorkOS
 * holds no such user: rejected `blocked`, with its joined password line.
 */
function blockedUserOutcomes(message: BlockedUserMessage): RecordOutcome[] {
  const sourceId = message.blockedUser.sourceId;
  return [
    { origin: message.origin, kind: 'user', sourceId, status: 'rejected', reason: 'blocked' },
    ...(message.joined ?? []).map(
      (origin): RecordOutcome => ({
        origin,
        kind: 'joined',
        sourceId,
        status: 'rejected',
        reason: `joined_into_line:${message.origin.line}`,
      }),
    ),
  ];
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}

function countMessage(
  summary: ValidationSummary,
  message: Exclude<ImportMessage, BlockedUserMessage>,
): void {
  if ('organization' in message) {
    summary.toImport.organizations += 1;
    return;
  }
  if ('membership' in message) {
    summary.toImport.memberships += 1;
    return;
  }
  summary.toImport.users += 1;
  const { user } = message;
  if (user.passwordHashType !== undefined) {
    summary.passwordHashTypes[user.passwordHashType] =
      (summary.passwordHashTypes[user.passwordHashType] ?? 0) + 1;
  }
  for (const note of user.note?.split(';') ?? []) {
    const [code, detail] = note.split(':');
    if (code === 'password_reset_required') {
      const why = detail ?? 'unknown';
      summary.resetsNeeded[why] = (summary.resetsNeeded[why] ?? 0) + 1;
    } else if (code !== undefined) {
      summary.notes[code] = (summary.notes[code] ?? 0) + 1;
    }
  }
}

/** The summary as an operator reads it in a terminal. */
export function formatValidationSummary(summary: ValidationSummary): string {
  const lines = [
    `Source: ${summary.job.format}`,
    ...summary.job.files.map((file) => `  ${file.sourceFile}: ${file.kind} (${file.layout})`),
    '',
    `Records read: ${summary.read}`,
    `  to import: ${summary.toImport.users} users, ${summary.toImport.organizations} organizations, ${summary.toImport.memberships} memberships`,
    `  password records joined into their user: ${summary.joined}`,
    `  merged into another record with the same email (or a duplicate id): ${summary.merged}`,
    `  rejected: ${summary.rejected}`,
  ];
  for (const [reason, count] of sortedEntries(summary.rejectedByReason)) {
    const examples = (summary.rejectedExamples[reason] ?? [])
      .map((example) => `${example.sourceFile}:${example.line}`)
      .join(', ');
    lines.push(`    ${reason}: ${count} (e.g. ${examples})`);
  }
  lines.push('Users with a password hash to import:');
  if (Object.keys(summary.passwordHashTypes).length === 0) lines.push('    none');
  for (const [type, count] of sortedEntries(summary.passwordHashTypes)) {
    lines.push(`    ${type}: ${count}`);
  }
  lines.push('Users who will need a password reset:');
  if (Object.keys(summary.resetsNeeded).length === 0) lines.push('    none');
  for (const [why, count] of sortedEntries(summary.resetsNeeded)) {
    lines.push(`    ${why}: ${count}`);
  }
  if (Object.keys(summary.notes).length > 0) {
    lines.push('Other notes:');
    for (const [code, count] of sortedEntries(summary.notes)) lines.push(`    ${code}: ${count}`);
  }
  return lines.join('\n');
}

function sortedEntries(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
}
