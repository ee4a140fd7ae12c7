import { describe, expect, it } from 'vitest';
import {
  formatMigrationSummary,
  reasonGroupOf,
  summarizeMigration,
} from '../../../src/cli/summary.ts';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import type { LocalMigrationResult } from '../../../src/local/run-local-migration.ts';
import type { RecordOutcome } from '../../../src/model/outcome.ts';

const jobId = 'job_summary';

function outcome(line: number, fields: Omit<RecordOutcome, 'origin'>): RecordOutcome {
  return { origin: { jobId, sourceFile: 'users.ndjson', line }, ...fields };
}

/** A run's result as local mode builds it: the ledger's job and outcomes, and the call counts. */
async function resultOf(
  outcomes: RecordOutcome[],
  workosCalls: LocalMigrationResult['workosCalls'],
): Promise<LocalMigrationResult> {
  const ledger = new InMemoryMigrationLedger();
  await ledger.claimSplit({ jobId, sourceFile: '2 files' }, Number.MAX_SAFE_INTEGER);
  for (const recorded of outcomes) await ledger.recordOutcome(recorded);
  await ledger.completeSplit(jobId, {
    throughLine: outcomes.length,
    read: outcomes.length,
    enqueued: 0,
  });
  const job = await ledger.getJob(jobId);
  if (job === undefined) throw new Error('no job');
  return {
    jobs: [job],
    counts: job.counts,
    unaccounted: 0,
    outcomes,
    workosCalls,
    interrupted: false,
    runs: [{ jobId, start: 'new', read: outcomes.length, unsettled: 0 }],
  };
}

/** Three users, their three password lines joined into them, a duplicate email merged, a rejection. */
const joinedJob = [
  outcome(1, { kind: 'user', status: 'created', workosUserId: 'user_1' }),
  outcome(2, { kind: 'user', status: 'created', workosUserId: 'user_2' }),
  outcome(3, { kind: 'user', status: 'unchanged', reason: 'merged_into_existing_user' }),
  outcome(4, { kind: 'joined', status: 'unchanged', reason: 'merged_into_line:2' }),
  outcome(5, { kind: 'user', status: 'rejected', reason: 'missing_email' }),
  outcome(6, { kind: 'joined', status: 'created', reason: 'joined_into_line:1' }),
  outcome(7, { kind: 'joined', status: 'created', reason: 'joined_into_line:2' }),
  outcome(8, { kind: 'joined', status: 'unchanged', reason: 'joined_into_line:3' }),
];

describe('reasonGroupOf', () => {
  it.each([
    ['joined_into_line:2082', 'joined_into_line'],
    ['merged_into_line:7', 'merged_into_line'],
    ['merged_into_file_line:1:7', 'merged_into_file_line'],
    ['duplicate_of_line:12', 'duplicate_of_line'],
    ['missing_email', 'missing_email'],
    [
      'workos_400:user_creation_error:password_too_weak',
      'workos_400:user_creation_error:password_too_weak',
    ],
    [
      'merged_into_existing_user;password_reset_sent',
      'merged_into_existing_user;password_reset_sent',
    ],
    ['joined_into_line:3;password_reset_sent', 'joined_into_line;password_reset_sent'],
  ])('groups %s as %s', (reason, group) => {
    expect(reasonGroupOf(reason)).toBe(group);
  });
});

describe('summarizeMigration', () => {
  it('says where an interrupted run stopped: records read, settled and not yet settled', async () => {
    const result = await resultOf(joinedJob.slice(0, 5), { writes: 2, reads: 0, rateLimited: 0 });
    const interrupted = {
      ...result,
      jobs: result.jobs.map((job) => ({ ...job, read: 8 })),
      interrupted: true,
      runs: result.runs.map((run) => ({ ...run, read: 8, unsettled: 3 })),
    };

    const summary = summarizeMigration(interrupted, 1_000);

    expect(summary.records).toMatchObject({ read: 8, settled: 5, unsettled: 3, unaccounted: 0 });
    expect(formatMigrationSummary(summary)).toContain(
      'STOPPED before the end: 8 records read, 5 settled, 3 not yet settled',
    );
  });

  it('counts users apart from the records joined into them, and rates WorkOS writes', async () => {
    const result = await resultOf(joinedJob, { writes: 4, reads: 6, rateLimited: 1 });

    const summary = summarizeMigration(result, 2_000);

    expect(summary).toEqual({
      users: { created: 2, updated: 0, unchanged: 1, rejected: 1, failed: 0 },
      organizations: { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
      memberships: { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
      absentFromExport: { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
      records: { read: 8, joinedIntoUser: 4, unaccounted: 0, settled: 8, unsettled: 0 },
      interrupted: false,
      start: 'new',
      reasons: {
        users: {
          unchanged: { merged_into_existing_user: 1 },
          rejected: { missing_email: 1 },
        },
        organizations: {},
        memberships: {},
        absentFromExport: {},
        joined: { joined_into_line: 3, merged_into_line: 1 },
      },
      workosCalls: { writes: 4, reads: 6, rateLimited: 1 },
      elapsedSeconds: 2,
      workosWritesPerSecond: 2,
    });
  });

  it('has no rate when no time passed', async () => {
    const result = await resultOf(joinedJob, { writes: 4, reads: 6, rateLimited: 0 });

    expect(summarizeMigration(result, 0).workosWritesPerSecond).toBeNull();
  });
});

describe('formatMigrationSummary', () => {
  it('prints users, the records read and joined (one count per reason), the WorkOS calls and their rate', async () => {
    const result = await resultOf(joinedJob, { writes: 4, reads: 6, rateLimited: 1 });

    expect(formatMigrationSummary(summarizeMigration(result, 2_000))).toBe(
      [
        '  users',
        '    created             2',
        '    updated             0',
        '    unchanged           1   (merged_into_existing_user 1)',
        '    rejected            1   (missing_email 1)',
        '    failed              0',
        '  records',
        '    read                8',
        '    joined into a user  4   (joined_into_line 3, merged_into_line 1)',
        '  WorkOS calls          4 writes, 6 reads, 1 answered 429 (10.00%)',
        '  took 2.0 s, 2.0 WorkOS writes/s',
      ].join('\n'),
    );
  });

  it('adds organizations and memberships when the job has them, with thousands separated', async () => {
    const members = Array.from({ length: 1_200 }, (_, index) =>
      outcome(10 + index, { kind: 'membership', status: 'created' }),
    );
    const result = await resultOf(
      [
        outcome(1, { kind: 'user', status: 'created' }),
        outcome(2, { kind: 'organization', status: 'created' }),
        outcome(3, { kind: 'organization', status: 'rejected', reason: 'missing_name' }),
        ...members,
      ],
      { writes: 1_202, reads: 0, rateLimited: 0 },
    );

    const text = formatMigrationSummary(summarizeMigration(result, 1_000));

    expect(text.split('\n').slice(0, 22)).toEqual([
      '  users',
      '    created                 1',
      '    updated                 0',
      '    unchanged               0',
      '    rejected                0',
      '    failed                  0',
      '  organizations',
      '    created                 1',
      '    updated                 0',
      '    unchanged               0',
      '    rejected                1   (missing_name 1)',
      '    failed                  0',
      '  memberships',
      '    created             1,200',
      '    updated                 0',
      '    unchanged               0',
      '    rejected                0',
      '    failed                  0',
      '  records',
      '    read                1,203',
      '    joined into a user      0',
      '  WorkOS calls          1,202 writes, 0 reads, 0 answered 429 (0.00%)',
    ]);
  });

  it('says how many records have no outcome, when some have none', async () => {
    const result = { ...(await resultOf(joinedJob, emptyCalls())), unaccounted: 2 };

    expect(formatMigrationSummary(summarizeMigration(result, 1_000))).toContain(
      '  UNACCOUNTED           2',
    );
  });
});

function emptyCalls() {
  return { writes: 0, reads: 0, rateLimited: 0 };
}

/** A cutover: one user unchanged with its password line, one updated, four users absent. */
const absentOrigin = (line: number) => ({ jobId, sourceFile: 'absent_from_export', line, file: 1 });
const cutoverJob: RecordOutcome[] = [
  outcome(1, { kind: 'user', status: 'unchanged', workosUserId: 'user_1' }),
  outcome(2, { kind: 'user', status: 'updated', workosUserId: 'user_2' }),
  outcome(3, { kind: 'joined', status: 'unchanged', reason: 'joined_into_line:1' }),
  {
    origin: absentOrigin(1),
    kind: 'absent',
    status: 'unchanged',
    workosUserId: 'user_3',
    reason: 'absent_from_export',
  },
  {
    origin: absentOrigin(2),
    kind: 'absent',
    status: 'unchanged',
    workosUserId: 'user_4',
    reason: 'absent_from_export_signed_in',
  },
  {
    origin: absentOrigin(3),
    kind: 'absent',
    status: 'updated',
    workosUserId: 'user_5',
    reason: 'removed_absent_from_export',
  },
  {
    origin: absentOrigin(4),
    kind: 'absent',
    status: 'failed',
    workosUserId: 'user_6',
    reason: 'workos_403',
  },
];

describe('summarizeMigration and formatMigrationSummary — users absent from the export', () => {
  it('counts the absent users apart, with their reasons, and leaves them out of the records read and settled', async () => {
    const result = await resultOf(cutoverJob, { writes: 2, reads: 4, rateLimited: 0 });

    const summary = summarizeMigration(result, 1_000);

    expect(summary.absentFromExport).toEqual({
      created: 0,
      updated: 1,
      unchanged: 2,
      rejected: 0,
      failed: 1,
    });
    expect(summary.users).toMatchObject({ unchanged: 1, updated: 1 });
    expect(summary.reasons.absentFromExport).toEqual({
      updated: { removed_absent_from_export: 1 },
      unchanged: { absent_from_export: 1, absent_from_export_signed_in: 1 },
      failed: { workos_403: 1 },
    });
    expect(summary.records).toEqual({
      read: 3,
      joinedIntoUser: 1,
      unaccounted: 0,
      settled: 3,
      unsettled: 0,
    });
  });

  it('prints an "absent from the export" block after the users, and the snapshot the run diffed against', async () => {
    const result = {
      ...(await resultOf(cutoverJob, { writes: 2, reads: 4, rateLimited: 0 })),
      snapshot: { users: 1_250, pagesRead: 13, rateLimited: 0 },
    };

    expect(formatMigrationSummary(summarizeMigration(result, 1_000))).toBe(
      [
        '  users',
        '    created             0',
        '    updated             1',
        '    unchanged           1',
        '    rejected            0',
        '    failed              0',
        '  absent from the export',
        '    created             0',
        // Removed users say so: `updated` alone would read as a change to the user.
        '    updated             1   (removed_absent_from_export 1)',
        '    unchanged           2   (absent_from_export 1, absent_from_export_signed_in 1)',
        '    rejected            0',
        '    failed              1   (workos_403 1)',
        '  records',
        '    read                3',
        '    joined into a user  1   (joined_into_line 1)',
        '  WorkOS snapshot       1,250 users, listed in 13 reads',
        '  WorkOS calls          2 writes, 4 reads, 0 answered 429 (0.00%)',
        '  took 1.0 s, 2.0 WorkOS writes/s',
      ].join('\n'),
    );
  });

  it('says "1 read" for a snapshot listed in one page', async () => {
    const result = {
      ...(await resultOf(joinedJob, emptyCalls())),
      snapshot: { users: 40, pagesRead: 1, rateLimited: 0 },
    };

    expect(formatMigrationSummary(summarizeMigration(result, 1_000))).toContain(
      '\n  WorkOS snapshot       40 users, listed in 1 read\n',
    );
  });

  it('says when the snapshot was read from a file rather than listed', async () => {
    const result = {
      ...(await resultOf(joinedJob, emptyCalls())),
      snapshot: { users: 40, pagesRead: 0, rateLimited: 0 },
    };

    const summary = summarizeMigration(result, 1_000);

    expect(summary.snapshot).toEqual({ users: 40, pagesRead: 0, rateLimited: 0 });
    expect(formatMigrationSummary(summary)).toContain(
      '\n  WorkOS snapshot       40 users, read from a file\n',
    );
  });

  it('prints no absent block and no snapshot line for a run without either', async () => {
    const summary = summarizeMigration(await resultOf(joinedJob, emptyCalls()), 1_000);

    expect(summary).not.toHaveProperty('snapshot');
    const text = formatMigrationSummary(summary);
    expect(text).not.toContain('absent from the export');
    expect(text).not.toContain('WorkOS snapshot');
  });
});
