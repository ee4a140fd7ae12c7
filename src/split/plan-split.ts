import { externalIdFor } from '../model/external-id.ts';
import {
  filePositionStride,
  type ImportUser,
  type JobOptions,
  type RecordOrigin,
  recordPosition,
} from '../model/import-message.ts';
import type { FileKind, ManifestOptions, SourceFormat } from '../model/job-manifest.ts';
import type { RecordKind, RecordOutcome } from '../model/outcome.ts';
import type { WorkOsSnapshot } from '../snapshot/workos-snapshot.ts';
import type { SourceOptions } from '../sources/export-source.ts';
import { exportSources, organizationMappersFor } from '../sources/export-sources.ts';
import { type RecordLayout, readExportRecordBatches } from '../sources/formats/export-records.ts';
import {
  type ExportRecord,
  type ParsedRecord,
  plannerOf,
  type RecordMapper,
  type RecordPlanner,
} from '../sources/parsed-record.ts';
import {
  type DuplicateEmailPlan,
  DuplicateEmailPlanner,
  duplicateEmailRank,
} from './duplicate-emails.ts';
import { type IndexedPassword, PasswordIndex, type PasswordJoin } from './password-index.ts';
import { type AbsentSnapshotUser, SnapshotDiff } from './snapshot-diff.ts';
import type { SplitDecision, SplitPass } from './split-export.ts';

/** One file of a job, as the splitter reads it. */
export interface JobFile {
  /** The file's index in a job of several, in split order; absent for a one-file job. */
  file?: number;
  /** The file's name as operators know it (the S3 key or the local path). */
  sourceFile: string;
  kind: FileKind;
  layout: RecordLayout;
  /** A `members` file's organization (Auth0 `org_...`), when its members do not name it. */
  organizationId?: string;
}

/** A job: its files in split order, the source they come from and the options chosen for it. */
export interface JobToSplit {
  jobId: string;
  format: SourceFormat;
  files: JobFile[];
  options: ManifestOptions;
}

/** Opens a file's bytes (gzip or plain; the reader detects which) from S3 or a disk. */
export type OpenJobFile = (file: JobFile) => Promise<AsyncIterable<Uint8Array>>;

export interface PlanSplitOptions {
  /**
   * What the WorkOS environment held before the job: users it holds as exported are settled
   * without a message, changed ones sent as updates, and the users imported from the source that
   * the export no longer holds are listed after the export's records (see `SnapshotDiff`).
   */
  snapshot?: WorkOsSnapshot;
}

/** The name the records of users absent from the export go by, in place of a file's. */
export const absentFromExportSourceFile = 'absent_from_export';

/**
 * Plans how a job is split: reads what must be known before the first message is sent (see
 * `planJoin`), then returns one pass per file deciding what each record becomes.
 * A continuation in a new invocation reads them again: the same files give the same plan.
 */
export async function planSplit(
  job: JobToSplit,
  openFile: OpenJobFile,
  { snapshot }: PlanSplitOptions = {},
): Promise<SplitPass[]> {
  const readRecords = async (file: JobFile, skipLine?: (line: number) => boolean) =>
    recordBatchesOf(file, job.format, await openFile(file), skipLine);
  const diff =
    snapshot === undefined || job.options.skipWorkosSnapshot
      ? undefined
      : new SnapshotDiff(snapshot, {
          source: job.format,
          ...(job.options.overwriteExistingUsers ? { overwriteExistingUsers: true } : {}),
        });
  const plan = await planJoin(job, readRecords, diff);
  const { passwords, passwordsFile, joinedLines, passwordLinesLeft } = plan;

  const consumerOptions = consumerOptionsOf(job.options);
  const context: PassContext = {
    jobId: job.jobId,
    duplicates: plan.duplicates,
    consumerOptions,
    ...(passwords === undefined ? {} : { passwords }),
    ...(passwordsFile === undefined ? {} : { passwordsFile }),
    ...(passwordLinesLeft === undefined ? {} : { passwordLinesLeft }),
    passwordsAlone: !job.files.some((file) => file.kind === 'users'),
    importOrphanPasswords: job.options.importOrphanPasswords === true,
    source: job.format,
    expectsPasswordRecord: exportSources[job.format].expectsPasswordRecord ?? (() => false),
    ...(diff === undefined ? {} : { snapshot: diff }),
  };
  const passes = job.files.map((file): SplitPass => {
    const joined = file === passwordsFile && passwords !== undefined;
    return {
      ...(file.file === undefined ? {} : { file: file.file }),
      sourceFile: file.sourceFile,
      open: async () =>
        !joined
          ? readRecords(file)
          : withJoinedLines(
              joinedLines,
              passwordLinesLeft === undefined
                ? await readRecords(file, (line) => joinedLines.has(line))
                : [passwordLinesLeft.map(({ line }) => ({ line }))],
            ),
      decide: deciderFor(file, job, context),
      recordKind: recordKindOfFile(file.kind),
    };
  });
  // Only an export that lists users can tell who is gone (a password export alone cannot).
  if (diff !== undefined && job.files.some((file) => file.kind === 'users')) {
    passes.push(absentUsersPass(job, diff, plan.recordsWithoutId));
  }
  return passes;
}

/**
 * The users imported from the job's source that no record of the export names, as records
 * after the job's last file: each one reported (`absent_from_export`), or sent to be removed
 * when the job asks. Their order is the snapshot's, so a continuation reads the same list.
 */
function absentUsersPass(job: JobToSplit, diff: SnapshotDiff, recordsWithoutId: number): SplitPass {
  const file = Math.max(0, ...job.files.map((jobFile) => jobFile.file ?? 0)) + 1;
  const absent = new Map<number, AbsentSnapshotUser>();
  const { removeSignedInAbsentUsers } = job.options;
  // An export with records whose user cannot be told may hold any absent user: remove nobody.
  const removeAbsentUsers = job.options.removeAbsentUsers && recordsWithoutId === 0;
  const keptReason =
    job.options.removeAbsentUsers && !removeAbsentUsers
      ? 'absent_from_export_kept_records_without_id'
      : undefined;
  return {
    file,
    sourceFile: absentFromExportSourceFile,
    recordKind: 'absent',
    open: function* () {
      let line = 0;
      let batch: ExportRecord[] = [];
      for (const user of diff.absentUsers()) {
        line += 1;
        absent.set(line, user);
        batch.push({ line, fields: {} });
        if (batch.length >= maxJoinedBatch) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
    decide: (record, origin) => {
      const found = absent.get(record.line);
      absent.delete(record.line);
      if (found === undefined) return { action: 'none' };
      const { workosUserId, signedIn } = found.user;
      if (!removeAbsentUsers) {
        const reason =
          keptReason ?? (signedIn ? 'absent_from_export_signed_in' : 'absent_from_export');
        return {
          action: 'settle',
          outcomes: [{ origin, kind: 'absent', status: 'unchanged', workosUserId, reason }],
        };
      }
      return {
        action: 'enqueue',
        message: {
          version: 1,
          kind: 'absent_user',
          origin,
          absentUser: {
            workosUserId,
            source: job.format,
            ...(removeSignedInAbsentUsers ? { removeSignedIn: true } : {}),
            ...(signedIn ? { signedInWhenListed: true } : {}),
          },
          deferrals: 0,
        },
      };
    },
  };
}

/** What a file's records are about: a password line that is not joined is a user of its own. */
function recordKindOfFile(kind: FileKind): RecordKind {
  switch (kind) {
    case 'organizations':
      return 'organization';
    case 'members':
      return 'membership';
    case 'users':
    case 'passwords':
      return 'user';
  }
}

/** What the planning reads learn, for the passes to split with. */
export interface JoinPlan {
  /** The join of the users export with its password export, when both come in the job. */
  passwords?: PasswordIndex;
  passwordsFile?: JobFile;
  /** The lines of the password export settled by their user's message (or rejection). */
  joinedLines: LineSet;
  /**
   * The password export's other records (a user of its own, a second record of a user, a
   * rejection), as its pass would map them, when they are few: the pass then decides them
   * without reading the file again. Absent when it must read them.
   */
  passwordLinesLeft?: PlannedPasswordLine[];
  duplicates: DuplicateEmailPlan;
  /**
   * Records of the users files whose user cannot be told (not JSON, no id): they name nobody,
   * so a user the snapshot lists absent may be one of them.
   */
  recordsWithoutId: number;
  /** Bytes of typed arrays the planning held: the join at its fullest, the email planner's peak. */
  bytesWhilePlanning: { passwordIndex: number; duplicateEmailPlanner: number };
}

/** A record of the password export not joined into a user, mapped while planning. */
export interface PlannedPasswordLine {
  line: number;
  parsed: ParsedRecord;
}

/** Password records remembered at planning at most; past this, their pass reads them again. */
const maxPlannedPasswordLines = 10_000;
/** Characters of those records (as JSON) remembered at most, whatever their number. */
const maxPlannedPasswordCharacters = 4 * 1024 * 1024;

/**
 * Reads what must be known before the first message is sent:
 * - the users export, for the ids it holds and the emails several records share (one WorkOS user
 *   per email: the record with a password wins, the others are reported merged into it);
 * - then the password-hash export, each record joining its user in a compact index (about 66
 *   bytes per user), so that each user of the users export is enqueued once with its hash: one
 *   WorkOS write per user where the two files read as separate jobs would cost a create and an
 *   update. Its records that join no user (a user of its own), a user already joined, or nobody
 *   (rejected) are kept, when few, so that its pass need not read it again.
 * These reads only check records and take their ids and emails (`RecordPlanner`): the profile
 * and metadata of a message are built when the record is split.
 */
export async function planJoin(
  job: JobToSplit,
  readRecords: (file: JobFile) => Promise<AsyncIterable<ExportRecord[]>>,
  diff?: SnapshotDiff,
): Promise<JoinPlan> {
  const passwordsFiles = job.files.filter((file) => file.kind === 'passwords');
  const usersFiles = job.files.filter((file) => file.kind === 'users');
  if (passwordsFiles.length > 1) {
    throw new Error('A job holds at most one password-hash export');
  }
  const passwordsFile = passwordsFiles[0];
  const planRecord = userPlannerFor(job);

  // The join exists only when the users come too: a password export alone is split like any
  // users file. Emails are planned over the files whose users are enqueued for themselves: the
  // users exports, or the password export when it comes alone.
  const passwords =
    passwordsFile !== undefined && usersFiles.length > 0 ? new PasswordIndex() : undefined;
  const planner = new DuplicateEmailPlanner();
  let recordsWithoutId = 0;
  const plannedFiles = usersFiles.length > 0 ? usersFiles : passwordsFiles;
  for (const file of plannedFiles) {
    for await (const batch of await readRecords(file)) {
      for (const record of batch) {
        const planned = readRecordSafely(planRecord, record);
        if (planned?.kind === 'rejected' && planned.sourceId === undefined) recordsWithoutId += 1;
        if (planned === undefined || planned.kind === 'other' || planned.sourceId === undefined) {
          continue;
        }
        diff?.markNamed(
          externalIdFor(planned.sourceId),
          planned.kind === 'user' ? planned.email : undefined,
        );
        // A rejected user is in the join too: its password record must not create it on its
        // own (a blocked user, say).
        const userEntry = passwords?.addUser(planned.sourceId);
        if (planned.kind !== 'user') continue;
        const hasOwnHash = planned.passwordHash !== undefined;
        planner.add(
          planned.email,
          recordPosition({ line: record.line, file: file.file }),
          duplicateEmailRank(planned.sourceId, hasOwnHash),
          hasOwnHash ? undefined : userEntry,
        );
      }
    }
  }
  const duplicateEmailPlannerBytes = planner.bytesUsed();
  const candidates = planner.finish();

  const joinedLines = new LineSet();
  let passwordLinesLeft: PlannedPasswordLine[] | undefined;
  if (passwords !== undefined && passwordsFile !== undefined) {
    passwordLinesLeft = [];
    let plannedCharacters = 0;
    const mapUser = userMapperFor(job);
    for await (const batch of await readRecords(passwordsFile)) {
      for (const record of batch) {
        const planned = readRecordSafely(planRecord, record);
        if (planned === undefined) continue;
        // A password record may stand for a user of its own (importOrphanPasswords).
        if (planned.kind === 'user')
          diff?.markNamed(externalIdFor(planned.sourceId), planned.email);
        if (
          planned.kind === 'user' &&
          indexPasswordRecord(passwords, record.line, planned) === 'joined'
        ) {
          joinedLines.add(record.line);
          continue;
        }
        if (passwordLinesLeft === undefined) continue;
        const parsed = planned.kind === 'rejected' ? planned : readRecordSafely(mapUser, record);
        if (parsed === undefined) continue;
        plannedCharacters += JSON.stringify(parsed).length;
        passwordLinesLeft.push({ line: record.line, parsed });
        if (
          passwordLinesLeft.length > maxPlannedPasswordLines ||
          plannedCharacters > maxPlannedPasswordCharacters
        ) {
          passwordLinesLeft = undefined;
        }
      }
    }
  }
  return {
    ...(passwords === undefined ? {} : { passwords }),
    ...(passwordsFile === undefined ? {} : { passwordsFile }),
    joinedLines,
    ...(passwordLinesLeft === undefined ? {} : { passwordLinesLeft }),
    recordsWithoutId,
    duplicates: candidates.resolve(
      passwords === undefined ? undefined : (entry) => passwords.hasPasswordHashAt(entry),
    ),
    bytesWhilePlanning: {
      passwordIndex: passwords?.bytesUsed() ?? 0,
      duplicateEmailPlanner: duplicateEmailPlannerBytes,
    },
  };
}

/**
 * The password export's records as its pass reads them: each line joined into its user (known
 * from planning, never parsed again), among the other records in line order. The others come
 * from reading the file without its joined lines, or from planning when it kept them all.
 */
async function* withJoinedLines(
  joinedLines: LineSet,
  others: AsyncIterable<ExportRecord[]> | Iterable<ExportRecord[]>,
): AsyncGenerator<ExportRecord[]> {
  const joined = joinedLines.lines();
  let nextJoined = joined.next();
  let batch: ExportRecord[] = [];
  for await (const records of others) {
    for (const record of records) {
      while (!nextJoined.done && nextJoined.value < record.line) {
        batch.push({ line: nextJoined.value, skipped: true });
        nextJoined = joined.next();
        if (batch.length >= maxJoinedBatch) {
          yield batch;
          batch = [];
        }
      }
      batch.push(record);
      if (batch.length >= maxJoinedBatch) {
        yield batch;
        batch = [];
      }
    }
  }
  while (!nextJoined.done) {
    batch.push({ line: nextJoined.value, skipped: true });
    nextJoined = joined.next();
    if (batch.length >= maxJoinedBatch) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Records per batch of joined lines: batches stay small however many lines come in a row. */
const maxJoinedBatch = 1024;

/**
 * Joins one record of the password export to its user: its line, and its bcrypt hash or why
 * there is none (see `PasswordIndex.add`).
 */
export function indexPasswordRecord(
  passwords: PasswordIndex,
  line: number,
  user: Pick<ImportUser, 'sourceId' | 'passwordHash' | 'note'>,
): PasswordJoin {
  const { sourceId, passwordHash, note } = user;
  return passwords.add(sourceId, {
    line,
    ...(passwordHash === undefined ? {} : { passwordHash, passwordHashType: 'bcrypt' }),
    ...(note === undefined ? {} : { note }),
  });
}

interface PassContext {
  jobId: string;
  duplicates: DuplicateEmailPlan;
  consumerOptions: JobOptions | undefined;
  /** The password export's index, with the ids the users export holds marked. */
  passwords?: PasswordIndex;
  passwordsFile?: JobFile;
  /** The password export's records kept by planning, when its pass need not read them. */
  passwordLinesLeft?: PlannedPasswordLine[];
  /** The job's only users are the password export's: they most likely exist in WorkOS. */
  passwordsAlone: boolean;
  /** Password records whose user the users export does not hold become users of their own. */
  importOrphanPasswords: boolean;
  /** The job's source, as WorkOS users imported from it name it (`import_source`). */
  source: SourceFormat;
  /** Whether the source's password export should hold a record for this user. */
  expectsPasswordRecord: (sourceId: string) => boolean;
  /** The export against the environment's snapshot, when the job has one. */
  snapshot?: SnapshotDiff;
}

function deciderFor(
  file: JobFile,
  job: JobToSplit,
  context: PassContext,
): (record: ExportRecord, origin: RecordOrigin) => SplitDecision {
  switch (file.kind) {
    case 'organizations': {
      const map = organizationMappersFor(job.format).createOrganizationMapper();
      return (record, origin) =>
        simpleDecision(readRecordSafely(map, record), origin, context, 'organization');
    }
    case 'members': {
      const map = organizationMappersFor(job.format).createMemberMapper({
        ...(file.organizationId === undefined ? {} : { organizationId: file.organizationId }),
        ...(job.options.roleSlugs === undefined ? {} : { roleSlugs: job.options.roleSlugs }),
      });
      return (record, origin) =>
        simpleDecision(readRecordSafely(map, record), origin, context, 'membership');
    }
    case 'users': {
      const map = userMapperFor(job);
      return (record, origin) => decideUser(readRecordSafely(map, record), origin, context);
    }
    case 'passwords': {
      const map = userMapperFor(job);
      // Records planning kept are decided as they were mapped then, without reading them again.
      const planned = new Map(context.passwordLinesLeft?.map(({ line, parsed }) => [line, parsed]));
      return (record, origin) =>
        record.skipped
          ? { action: 'joined' }
          : decidePasswordRecord(
              planned.get(record.line) ?? readRecordSafely(map, record),
              origin,
              context,
            );
    }
  }
}

/** Organizations and memberships: enqueued as they are, or rejected. */
function simpleDecision(
  parsed: ParsedRecord | undefined,
  origin: RecordOrigin,
  context: PassContext,
  kind: RecordKind,
): SplitDecision {
  if (parsed === undefined) return { action: 'none' };
  switch (parsed.kind) {
    case 'rejected':
      return rejected(origin, kind, parsed.reason, parsed.sourceId);
    case 'organization':
      return {
        action: 'enqueue',
        message: {
          version: 1,
          kind: 'organization',
          origin,
          organization: parsed.organization,
          deferrals: 0,
        },
      };
    case 'membership':
      return {
        action: 'enqueue',
        message: {
          version: 1,
          kind: 'membership',
          origin,
          membership: parsed.membership,
          deferrals: 0,
        },
      };
    case 'user':
      return enqueueUser(parsed.user, origin, context);
  }
}

/**
 * A user of the users export: given its password hash when the password export has it (and
 * that line joined into this message), merged when another record holds its email, else
 * enqueued.
 */
function decideUser(
  parsed: ParsedRecord | undefined,
  origin: RecordOrigin,
  context: PassContext,
): SplitDecision {
  if (parsed === undefined) return { action: 'none' };
  if (parsed.kind === 'rejected' && parsed.reason === blockedReason && parsed.sourceId) {
    return enqueueBlockedUser(parsed.sourceId, origin, context);
  }
  if (parsed.kind === 'rejected' && parsed.sourceId !== undefined) {
    return settledWithJoined(
      {
        origin,
        kind: 'user',
        sourceId: parsed.sourceId,
        status: 'rejected',
        reason: parsed.reason,
      },
      joinedPasswordOrigin(parsed.sourceId, context),
    );
  }
  if (parsed.kind !== 'user') return simpleDecision(parsed, origin, context, 'user');
  // One lookup serves both the hash and the line it joins.
  const entry = context.passwords?.get(parsed.user.sourceId);
  const joined = entry === undefined ? undefined : passwordOrigin(entry.line, context);
  const user =
    context.passwords === undefined ? parsed.user : withPasswordEntry(parsed.user, entry, context);
  const winner = context.duplicates.mergedInto(user.email, recordPosition(origin));
  if (winner !== undefined) {
    const reason = mergeReason(winner, origin);
    return {
      action: 'settle',
      outcomes: [
        { origin, kind: 'joined', sourceId: user.sourceId, status: 'unchanged', reason },
        ...(joined === undefined
          ? []
          : [
              {
                origin: joined,
                kind: 'joined' as const,
                sourceId: user.sourceId,
                status: 'unchanged' as const,
                reason: `joined_into_line:${origin.line}`,
              },
            ]),
      ],
    };
  }
  return enqueueUser(user, origin, context, joined);
}

/**
 * A record of the password-hash export. Joined into its user when the users export has that
 * user (the user's message settles it); else it stands alone and creates the user.
 */
function decidePasswordRecord(
  parsed: ParsedRecord | undefined,
  origin: RecordOrigin,
  context: PassContext,
): SplitDecision {
  if (parsed === undefined) return { action: 'none' };
  if (parsed.kind !== 'user') return simpleDecision(parsed, origin, context, 'user');
  const { sourceId } = parsed.user;
  const indexedLine = context.passwords?.lineOf(sourceId);
  if (indexedLine !== undefined) {
    if (indexedLine === origin.line) return { action: 'joined' };
    // A second record for the same user: the first one's hash is the one imported.
    return settledUnchanged(origin, sourceId, `duplicate_of_line:${indexedLine}`);
  }
  if (context.passwordsAlone) {
    const winner = context.duplicates.mergedInto(parsed.user.email, recordPosition(origin));
    if (winner !== undefined) {
      return settledUnchanged(origin, sourceId, mergeReason(winner, origin));
    }
    // Read on its own, a password export most likely follows its users: look up, then update.
    return enqueueUser(
      { ...parsed.user, existingLikely: true, onlyInPasswordExport: true },
      origin,
      context,
    );
  }
  // The users export is the tenant's list of who exists: a password record without its user
  // belongs to a user deleted since, or to another connection. Creating it would bring a
  // deleted account back with a working password.
  if (!context.importOrphanPasswords) {
    return rejected(origin, 'user', orphanPasswordReason, sourceId);
  }
  return enqueueUser({ ...parsed.user, onlyInPasswordExport: true }, origin, context);
}

const orphanPasswordReason = 'orphan_password';
/** The reason sources give a record of a user they mark blocked or disabled. */
const blockedReason = 'blocked';

/**
 * A blocked user is never created, but WorkOS may hold one this tool created for them earlier
 * (from a password export read on its own, before the users export): the consumer looks, and
 * removes it while it has never signed in. Its joined password line ends with it.
 */
function enqueueBlockedUser(
  sourceId: string,
  origin: RecordOrigin,
  context: PassContext,
): SplitDecision {
  const joined = joinedPasswordOrigin(sourceId, context);
  const externalId = externalIdFor(sourceId);
  if (
    context.snapshot !== undefined &&
    context.snapshot.userWithExternalId(externalId) === undefined
  ) {
    // The environment holds no user for them: nothing to remove, and no read to find that out.
    return settledWithJoined(
      { origin, kind: 'user', sourceId, status: 'rejected', reason: blockedReason },
      joined,
    );
  }
  return {
    action: 'enqueue',
    message: {
      version: 1,
      kind: 'blocked_user',
      origin,
      blockedUser: { sourceId, externalId, source: context.source },
      deferrals: 0,
      ...(joined === undefined ? {} : { joined: [joined] }),
    },
  };
}

/**
 * A user to import: sent to the consumer, unless the environment's snapshot shows there is
 * nothing to write. A user the snapshot holds with other data is sent to be looked up and
 * updated (one write, no refused create); one it does not hold, to be created.
 */
function enqueueUser(
  user: ImportUser,
  origin: RecordOrigin,
  context: PassContext,
  joined?: RecordOrigin,
): SplitDecision {
  const verdict = context.snapshot?.decide(user);
  if (verdict?.verdict === 'settle') {
    const { status, workosUserId, reason } = verdict;
    return settledWithJoined(
      {
        origin,
        kind: 'user',
        sourceId: user.sourceId,
        status,
        workosUserId,
        ...(reason === undefined ? {} : { reason }),
      },
      joined,
    );
  }
  const sent = verdict === undefined ? user : asTheSnapshotFoundIt(user, verdict.verdict);
  return {
    action: 'enqueue',
    message: {
      version: 1,
      kind: 'user',
      origin,
      user: sent,
      deferrals: 0,
      ...(joined === undefined ? {} : { joined: [joined] }),
      ...(context.consumerOptions === undefined ? {} : { options: context.consumerOptions }),
    },
  };
}

/**
 * A user found under its external id is looked up and updated (one write, no refused create);
 * one the snapshot does not hold is created straight away, even from a password export read
 * alone (whose users are otherwise looked up first).
 */
function asTheSnapshotFoundIt(
  user: ImportUser,
  verdict: 'update' | 'create' | 'consumer',
): ImportUser {
  if (verdict === 'update') return { ...user, existingLikely: true };
  if (verdict === 'create' && user.existingLikely) {
    const { existingLikely: _, ...notInWorkos } = user;
    return notInWorkos;
  }
  return user;
}

function joinedPasswordOrigin(sourceId: string, context: PassContext): RecordOrigin | undefined {
  const line = context.passwords?.lineOf(sourceId);
  return line === undefined ? undefined : passwordOrigin(line, context);
}

function passwordOrigin(line: number, context: PassContext): RecordOrigin | undefined {
  const file = context.passwordsFile;
  if (file === undefined) return undefined;
  return {
    jobId: context.jobId,
    sourceFile: file.sourceFile,
    line,
    ...(file.file === undefined ? {} : { file: file.file }),
  };
}

/**
 * The user with the password export's hash for it. The users export stays the source of the
 * profile (email, verification, names); the password export adds the hash, or says why there is
 * none (`password_reset_required:unsupported_hash`).
 */
function withPasswordEntry(
  user: ImportUser,
  entry: IndexedPassword | undefined,
  context: PassContext,
): ImportUser {
  if (entry === undefined) {
    // A database user the password export does not hold has no password to bring along.
    return context.expectsPasswordRecord(user.sourceId) ? withNote(user, noPasswordHashNote) : user;
  }
  if (entry.passwordHash !== undefined) {
    return { ...user, passwordHash: entry.passwordHash, passwordHashType: 'bcrypt' };
  }
  return entry.note === undefined ? user : withNote(user, entry.note);
}

const noPasswordHashNote = 'password_reset_required:no_password_hash';

function withNote(user: ImportUser, note: string): ImportUser {
  return { ...user, note: user.note === undefined ? note : `${user.note};${note}` };
}

function rejected(
  origin: RecordOrigin,
  kind: RecordKind,
  reason: string,
  sourceId?: string,
): SplitDecision {
  const outcome: RecordOutcome = {
    origin,
    kind,
    status: 'rejected',
    reason,
    ...(sourceId === undefined ? {} : { sourceId }),
  };
  return { action: 'settle', outcomes: [outcome] };
}

/** `merged_into_line:N` in the same file, `merged_into_file_line:F:N` across files. */
function mergeReason(winnerPosition: number, origin: RecordOrigin): string {
  const file = Math.floor(winnerPosition / filePositionStride);
  const line = winnerPosition % filePositionStride;
  return file === (origin.file ?? 0)
    ? `merged_into_line:${line}`
    : `merged_into_file_line:${file}:${line}`;
}

/** The options the consumer acts on, carried by each message; none when all are off. */
function consumerOptionsOf(options: ManifestOptions): JobOptions | undefined {
  const chosen: JobOptions = {
    ...(options.overwriteExistingUsers ? { overwriteExistingUsers: true } : {}),
    ...(options.sendPasswordResets ? { sendPasswordResets: true } : {}),
  };
  return Object.keys(chosen).length === 0 ? undefined : chosen;
}

/** The mapper for the users (and password) records of a job's source. */
function userMapperFor(job: JobToSplit): RecordMapper {
  return exportSources[job.format].createMapper(sourceOptionsOf(job.options));
}

/** What the planning reads of the users (and password) records of a job's source. */
function userPlannerFor(job: JobToSplit): RecordPlanner {
  const source = exportSources[job.format];
  const options = sourceOptionsOf(job.options);
  return source.createPlanner?.(options) ?? plannerOf(source.createMapper(options));
}

/** The job's options its source's mappers honour. */
function sourceOptionsOf(options: ManifestOptions): SourceOptions {
  return {
    ...(options.importBlockedUsers ? { importBlockedUsers: true } : {}),
    ...(options.firebase === undefined ? {} : { firebase: options.firebase }),
  };
}

/**
 * A record through a mapper (or a planner, which must reach the same verdicts): an unreadable
 * record, or one whose reading throws (a hostile record), is rejected alone.
 */
function readRecordSafely<T>(
  read: (fields: Record<string, unknown>) => T | undefined,
  record: ExportRecord,
): T | { kind: 'rejected'; reason: string; sourceId?: string } | undefined {
  if (record.unreadable !== undefined) return { kind: 'rejected', reason: record.unreadable };
  if (record.fields === undefined) return undefined;
  try {
    return read(record.fields);
  } catch {
    return { kind: 'rejected', reason: 'unparseable_record' };
  }
}

/**
 * A file's decoded records, in batches; the CSV rows of a source with a CSV dialect of its own
 * (Auth0's) are reshaped into its JSON export's records.
 */
function recordBatchesOf(
  file: JobFile,
  format: SourceFormat,
  bytes: AsyncIterable<Uint8Array>,
  skipLine?: (line: number) => boolean,
): AsyncIterable<ExportRecord[]> {
  const dialect = file.layout === 'csv' ? exportSources[format].csv : undefined;
  const batches = readExportRecordBatches(bytes, {
    layout: file.layout,
    ...(dialect?.stripFormulaPrefix ? { stripFormulaPrefix: true } : {}),
    ...(skipLine === undefined ? {} : { skipLine }),
  });
  return dialect === undefined ? batches : reshapedRecords(batches, dialect.rowAsRecord);
}

/** Each record's fields through `reshape` (a CSV row into the record its JSON export holds). */
async function* reshapedRecords(
  batches: AsyncIterable<ExportRecord[]>,
  reshape: (fields: Record<string, unknown>) => Record<string, unknown>,
): AsyncGenerator<ExportRecord[]> {
  for await (const batch of batches) {
    yield batch.map((record) =>
      record.fields === undefined ? record : { ...record, fields: reshape(record.fields) },
    );
  }
}

/**
 * A user settled at split time, and the password line joined into it in the same state, as the
 * consumer records a joined line after its user.
 */
function settledWithJoined(
  outcome: RecordOutcome,
  joined: RecordOrigin | undefined,
): SplitDecision {
  const outcomes = [outcome];
  if (joined !== undefined) {
    outcomes.push({
      ...outcome,
      origin: joined,
      kind: 'joined',
      reason: `joined_into_line:${outcome.origin.line}`,
    });
  }
  return { action: 'settle', outcomes };
}

/** A record folded into another one's user (a second hash, a merged email): nothing to send. */
function settledUnchanged(origin: RecordOrigin, sourceId: string, reason: string): SplitDecision {
  return {
    action: 'settle',
    outcomes: [{ origin, kind: 'joined', sourceId, status: 'unchanged', reason }],
  };
}

/** A set of line numbers as a growing bitmap: an eighth of a byte per line of the file. */
export class LineSet {
  #bits = new Uint8Array(1024);

  add(line: number): void {
    const byte = line >>> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.#bits.length * 2));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    this.#bits[byte] = (this.#bits[byte] ?? 0) | (1 << (line & 7));
  }

  has(line: number): boolean {
    return ((this.#bits[line >>> 3] ?? 0) & (1 << (line & 7))) !== 0;
  }

  /** The lines held, in ascending order. */
  *lines(): Generator<number> {
    const bits = this.#bits;
    for (let byte = 0; byte < bits.length; byte++) {
      const held = bits[byte] ?? 0;
      if (held === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        if ((held & (1 << bit)) !== 0) yield byte * 8 + bit;
      }
    }
  }
}
