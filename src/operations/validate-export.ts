import { InMemoryMigrationLedger } from '../ledger/in-memory-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import {
  type AbsentUser,
  type AbsentUserMessage,
  type BlockedUserMessage,
  type ImportMessage,
  type ImportUser,
  recordPosition,
} from '../model/import-message.ts';
import type { ManifestOptions, SourceFormat } from '../model/job-manifest.ts';
import type { OutcomeCounts, RecordOutcome } from '../model/outcome.ts';
import type { ImportMessageSink } from '../queue/queue-types.ts';
import type { WorkOsSnapshot } from '../snapshot/workos-snapshot.ts';
import { jobOfFiles } from '../split/job-source.ts';
import type { JobToSplit } from '../split/plan-split.ts';
import { runSplit } from '../split/run-split.ts';

/** What a job would do, read exactly as the splitter reads it, with no API called. */
export interface ValidationSummary {
  job: Pick<JobToSplit, 'format' | 'files'>;
  /**
   * Records read, in every file: each is imported, settled, or joined into another. The users
   * a snapshot shows absent from the export are counted in `againstWorkos`, not here.
   */
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
  /** What the run will do in WorkOS, when the job was read against a snapshot of it. */
  againstWorkos?: WorkOsPlan;
}

/**
 * A job read against a snapshot of the WorkOS environment: each user's outcome as the run will
 * record it, and the writes it will cost. Users whose email WorkOS holds under a user from
 * elsewhere are decided by the consumer (`decidedInWorkos`): failed, or linked and updated when
 * the job overwrites existing users.
 */
export interface WorkOsPlan {
  /** Users the environment held when it was listed. */
  environmentUsers: number;
  /** Users (records of their own) by the outcome the run will record. */
  users: Pick<OutcomeCounts, 'created' | 'updated' | 'unchanged' | 'rejected'>;
  /** The users left unchanged because WorkOS has their email already, by why. */
  unchangedBecause: { mergedIntoExistingUser: number; existingUserNotOverwritten: number };
  decidedInWorkos: number;
  absentFromExport: { listed: number; signedIn: number; toRemove: number };
  /**
   * WorkOS writes the run makes: a create or an update per user, a delete per absent user
   * removed, and at most two for each user decided in WorkOS and each blocked user it holds.
   */
  writes: { expected: number; atMost: number };
  /** The writes at the target rate (the listing of the snapshot aside). */
  estimatedSeconds: number;
  writesPerSecond: number;
}

export interface ValidateExportOptions {
  /** The files of one job, or one manifest. */
  files: string[];
  format?: SourceFormat;
  options?: ManifestOptions;
  examplesPerReason?: number;
  /** Read the job against what WorkOS holds: the summary then says what the run will do. */
  snapshot?: WorkOsSnapshot;
  /** The run's target, for the plan's time (the default of `migrate local`'s `--rate`). */
  writesPerSecond?: number;
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
  snapshot,
  writesPerSecond = 45,
}: ValidateExportOptions): Promise<ValidationSummary> {
  const jobId = 'job_validate';

  const summary = emptyValidationSummary();
  const blockedOutcomes: RecordOutcome[] = [];
  let absentMessages = 0;
  const plan = snapshot === undefined ? undefined : emptyWorkOsPlan(snapshot.size, writesPerSecond);
  const sink: ImportMessageSink = {
    async enqueue(message) {
      if ('blockedUser' in message) {
        blockedOutcomes.push(...blockedUserOutcomes(message));
        if (plan !== undefined) plan.writes.atMost += 1;
      } else if ('absentUser' in message) {
        absentMessages += 1;
        if (plan !== undefined) planAbsentUser(plan, message.absentUser);
      } else {
        countMessage(summary, message);
        if (plan !== undefined && snapshot !== undefined && 'user' in message) {
          planUserMessage(plan, snapshot, message.user);
        }
      }
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
      ...(snapshot === undefined ? {} : { snapshot }),
    },
    { sink, ledger, logger: silentLogger },
  );
  summary.job = { format: job.format, files: job.files };
  // A job that splits without the snapshot (its manifest says so) has no plan to draw from it.
  const planned = job.options.skipWorkosSnapshot ? undefined : plan;
  summary.read = split.read;
  const settled = [...(await collect(ledger.listOutcomes(jobId))), ...blockedOutcomes].sort(
    (a, b) => recordPosition(a.origin) - recordPosition(b.origin),
  );
  let settledJoinedLines = 0;
  for (const outcome of settled) {
    summary.settled.push(outcome);
    if (planned !== undefined) planSettledOutcome(planned, outcome);
    if (outcome.kind === 'absent') continue;
    if (
      outcome.kind === 'joined' &&
      outcome.status !== 'rejected' &&
      outcome.reason?.startsWith('joined_into_line:')
    ) {
      // A password line settled with its user, one the snapshot shows unchanged.
      settledJoinedLines += 1;
      continue;
    }
    if (outcome.kind === 'user' && outcome.workosUserId !== undefined) {
      // Settled against the snapshot: the plan counts it.
      continue;
    }
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
    (summary.settled.length - settledJoinedLines) -
    absentMessages;
  // The users listed absent from the export come after its records: they are not records of it.
  summary.read = split.read - (planned?.absentFromExport.listed ?? 0);
  if (planned !== undefined) {
    planned.writes.expected +=
      planned.users.created + planned.users.updated + planned.absentFromExport.toRemove;
    planned.writes.atMost += planned.writes.expected + 2 * planned.decidedInWorkos;
    planned.estimatedSeconds = Math.ceil(planned.writes.expected / writesPerSecond);
    summary.againstWorkos = planned;
  }
  return summary;
}

/** A summary before any record is read. */
export function emptyValidationSummary(): ValidationSummary {
  return {
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
}

/** A plan before any record is read, against an environment of `environmentUsers` users. */
export function emptyWorkOsPlan(environmentUsers: number, writesPerSecond: number): WorkOsPlan {
  return {
    environmentUsers,
    users: { created: 0, updated: 0, unchanged: 0, rejected: 0 },
    unchangedBecause: { mergedIntoExistingUser: 0, existingUserNotOverwritten: 0 },
    decidedInWorkos: 0,
    absentFromExport: { listed: 0, signedIn: 0, toRemove: 0 },
    writes: { expected: 0, atMost: 0 },
    estimatedSeconds: 0,
    writesPerSecond,
  };
}

/** A user the split sends: an update of the user WorkOS holds, a create, or WorkOS's to decide. */
function planUserMessage(plan: WorkOsPlan, snapshot: WorkOsSnapshot, user: ImportUser): void {
  if (snapshot.findByExternalId(user.externalId) !== undefined) plan.users.updated += 1;
  else if (snapshot.findByEmail(user.email) !== undefined) plan.decidedInWorkos += 1;
  else plan.users.created += 1;
}

function planAbsentUser(plan: WorkOsPlan, absent: AbsentUser): void {
  const listed = plan.absentFromExport;
  listed.listed += 1;
  if (absent.signedInWhenListed) listed.signedIn += 1;
  if (absent.removeSignedIn || !absent.signedInWhenListed) listed.toRemove += 1;
}

/** A user settled at split time (against the snapshot, or rejected), or an absent one listed. */
function planSettledOutcome(plan: WorkOsPlan, outcome: RecordOutcome): void {
  if (outcome.kind === 'absent') {
    plan.absentFromExport.listed += 1;
    if (outcome.reason === 'absent_from_export_signed_in') plan.absentFromExport.signedIn += 1;
    return;
  }
  if (outcome.kind !== 'user') return;
  if (outcome.status === 'rejected') plan.users.rejected += 1;
  if (outcome.status !== 'unchanged') return;
  plan.users.unchanged += 1;
  if (outcome.reason === 'merged_into_existing_user') {
    plan.unchangedBecause.mergedIntoExistingUser += 1;
  } else if (outcome.reason === 'existing_user_not_overwritten') {
    plan.unchangedBecause.existingUserNotOverwritten += 1;
  }
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
  message: Exclude<ImportMessage, BlockedUserMessage | AbsentUserMessage>,
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
  if (summary.againstWorkos !== undefined) lines.push(...formatPlan(summary.againstWorkos));
  return lines.join('\n');
}

/** The plan against WorkOS, in the terms the run's summary will use. */
function formatPlan(plan: WorkOsPlan): string[] {
  const { users, unchangedBecause, absentFromExport, writes } = plan;
  const minutes = plan.estimatedSeconds / 60;
  return [
    '',
    `Against WorkOS (${plan.environmentUsers} users in the environment):`,
    `  users created: ${users.created}`,
    `  users updated: ${users.updated}`,
    `  users unchanged: ${users.unchanged}` +
      ` (merged into a user imported earlier: ${unchangedBecause.mergedIntoExistingUser},` +
      ` existing user not overwritten: ${unchangedBecause.existingUserNotOverwritten})`,
    `  users rejected: ${users.rejected}`,
    ...(plan.decidedInWorkos === 0
      ? []
      : [
          `  email held by a WorkOS user from elsewhere, decided when imported: ${plan.decidedInWorkos}`,
        ]),
    `  absent from the export: ${absentFromExport.listed} (signed in: ${absentFromExport.signedIn}, to remove: ${absentFromExport.toRemove})`,
    `  WorkOS writes: ${writes.expected}${writes.atMost > writes.expected ? ` (at most ${writes.atMost})` : ''}, ` +
      `about ${minutes < 1 ? `${plan.estimatedSeconds} s` : `${minutes.toFixed(1)} min`} at ${plan.writesPerSecond} writes/s`,
  ];
}

function sortedEntries(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
}
