import type { LocalMigrationResult } from '../local/run-local-migration.ts';
import {
  addOutcomeCounts,
  emptyOutcomeCounts,
  emptyOutcomeCountsByKind,
  type OutcomeCounts,
  type OutcomeCountsByKind,
  type RecordKind,
  type RecordOutcome,
  type RecordStatus,
  recordStatuses,
} from '../model/outcome.ts';
import type { WorkOsCallCounts } from '../workos/counting-directory.ts';

const numberFormat = new Intl.NumberFormat('en-US');

/** How often each reason occurs, line numbers dropped (`joined_into_line:7` → `joined_into_line`). */
export type ReasonCounts = Record<string, number>;

/**
 * The figures of a run, as `migrate local` prints them (text or `--json`). Users, organizations
 * and memberships are counted apart from the records joined into a user (a password line, a
 * duplicate email merged into another record), so `users.created` is the users WorkOS gained.
 */
export interface MigrationSummary {
  users: OutcomeCounts;
  organizations: OutcomeCounts;
  memberships: OutcomeCounts;
  /**
   * WorkOS users imported from the source earlier that the export no longer holds: `unchanged`
   * when only reported, `updated` when removed, `failed` when a removal kept failing.
   */
  absentFromExport: OutcomeCounts;
  records: {
    read: number;
    /** Records that are not a user of their own: they end in the state of the user they joined. */
    joinedIntoUser: number;
    /** Records read but without an outcome. Always 0 unless the pipeline has a bug. */
    unaccounted: number;
    /** Records with an outcome (this run's and the earlier runs' of the same job). */
    settled: number;
    /** Records read that an interrupted run left without an outcome: the next run settles them. */
    unsettled: number;
  };
  /** The run was stopped (Ctrl-C) before every record was settled. */
  interrupted: boolean;
  /** How the run found its job: `resumed` continues an earlier run, `finished` was done before. */
  start: 'new' | 'resumed' | 'finished';
  /** Reasons by what the records are about and their status; joined records by reason alone. */
  reasons: {
    users: Partial<Record<RecordStatus, ReasonCounts>>;
    organizations: Partial<Record<RecordStatus, ReasonCounts>>;
    memberships: Partial<Record<RecordStatus, ReasonCounts>>;
    absentFromExport: Partial<Record<RecordStatus, ReasonCounts>>;
    joined: ReasonCounts;
  };
  /** Counted as the calls went out, for any WorkOS (the API or the emulator). */
  workosCalls: WorkOsCallCounts;
  /** The snapshot of WorkOS the split diffed against: its users, and the pages listed for it. */
  snapshot?: { users: number; pagesRead: number; rateLimited: number };
  elapsedSeconds: number;
  /** WorkOS writes per second over the run; null when no time passed. */
  workosWritesPerSecond: number | null;
}

/** Statuses whose reasons the summary lists: the ones an operator has to look into or explain. */
const explainedStatuses: readonly RecordStatus[] = ['unchanged', 'rejected', 'failed'];
/** Users absent from the export are `updated` when removed: that is worth a reason too. */
const explainedAbsentStatuses: readonly RecordStatus[] = ['updated', ...explainedStatuses];

export function summarizeMigration(
  result: LocalMigrationResult,
  elapsedMs: number,
): MigrationSummary {
  const countsByKind = emptyOutcomeCountsByKind();
  for (const job of result.jobs) {
    for (const kind of Object.keys(countsByKind) as RecordKind[]) {
      addOutcomeCounts(countsByKind[kind], job.countsByKind[kind]);
    }
  }
  const reasonsOf = (kind: RecordKind) =>
    Object.fromEntries(
      (kind === 'absent' ? explainedAbsentStatuses : explainedStatuses).flatMap((status) => {
        const reasons = groupedReasonCounts(
          result.outcomes,
          (outcome) => outcome.kind === kind && outcome.status === status,
        );
        return Object.keys(reasons).length === 0 ? [] : [[status, reasons]];
      }),
    );
  const elapsedSeconds = Math.round(elapsedMs) / 1000;
  return {
    users: countsByKind.user,
    organizations: countsByKind.organization,
    memberships: countsByKind.membership,
    absentFromExport: countsByKind.absent,
    // The users listed absent come after the export's records: they are not records of it.
    records: {
      read: result.jobs.reduce((total, job) => total + job.read, 0) - totalOf(countsByKind.absent),
      joinedIntoUser: totalOf(countsByKind.joined),
      unaccounted: result.unaccounted,
      settled:
        result.jobs.reduce((total, job) => total + totalOf(job.counts), 0) -
        totalOf(countsByKind.absent),
      unsettled: result.runs.reduce((total, run) => total + run.unsettled, 0),
    },
    interrupted: result.interrupted,
    start: result.runs.some((run) => run.start === 'resumed')
      ? 'resumed'
      : result.runs.length > 0 && result.runs.every((run) => run.start === 'finished')
        ? 'finished'
        : 'new',
    reasons: {
      users: reasonsOf('user'),
      organizations: reasonsOf('organization'),
      memberships: reasonsOf('membership'),
      absentFromExport: reasonsOf('absent'),
      joined: groupedReasonCounts(result.outcomes, (outcome) => outcome.kind === 'joined'),
    },
    workosCalls: { ...result.workosCalls },
    ...(result.snapshot === undefined ? {} : { snapshot: { ...result.snapshot } }),
    elapsedSeconds,
    workosWritesPerSecond:
      elapsedSeconds > 0
        ? Math.round((result.workosCalls.writes / elapsedSeconds) * 10) / 10
        : null,
  };
}

/** The end-of-run summary an operator reads: one block per kind of record, with the reasons. */
export function formatMigrationSummary(summary: MigrationSummary): string {
  const lines = formatCountBlocks(
    {
      user: summary.users,
      organization: summary.organizations,
      membership: summary.memberships,
      joined: emptyOutcomeCounts(),
      absent: summary.absentFromExport,
    },
    summary.records,
    summary.reasons,
  );
  if (summary.interrupted) {
    const { read, settled, unsettled } = summary.records;
    lines.unshift(
      `  STOPPED before the end: ${count(read)} records read, ${count(settled)} settled, ${count(unsettled)} not yet settled`,
    );
  } else if (summary.start === 'finished') {
    lines.unshift('  The job was finished by an earlier run; nothing was sent to WorkOS.');
  } else if (summary.start === 'resumed') {
    lines.unshift('  Continued an earlier run of this job; the figures cover the whole job.');
  }
  if (summary.records.unaccounted !== 0) {
    lines.push(`  ${'UNACCOUNTED'.padEnd(labelWidth)}${count(summary.records.unaccounted)}`);
  }
  if (summary.snapshot !== undefined) {
    const { users, pagesRead } = summary.snapshot;
    lines.push(
      `  ${'WorkOS snapshot'.padEnd(labelWidth)}${count(users)} users` +
        (pagesRead > 0
          ? `, listed in ${count(pagesRead)} read${pagesRead === 1 ? '' : 's'}`
          : ', read from a file'),
    );
  }
  lines.push(`  ${'WorkOS calls'.padEnd(labelWidth)}${formatWorkOsCalls(summary.workosCalls)}`);
  const rate = summary.workosWritesPerSecond;
  lines.push(
    `  took ${summary.elapsedSeconds.toFixed(1)} s` +
      (rate === null ? '' : `, ${rate.toFixed(1)} WorkOS writes/s`),
  );
  return lines.join('\n');
}

export function formatWorkOsCalls({ writes, reads, rateLimited }: WorkOsCallCounts): string {
  const calls = writes + reads;
  const share = calls > 0 ? ((100 * rateLimited) / calls).toFixed(2) : '0.00';
  return `${count(writes)} writes, ${count(reads)} reads, ${count(rateLimited)} answered 429 (${share}%)`;
}

const labelWidth = 22;
const kindLabels = {
  user: 'users',
  organization: 'organizations',
  membership: 'memberships',
  absent: 'absent from the export',
} as const;
const reasonKeys = {
  user: 'users',
  organization: 'organizations',
  membership: 'memberships',
  absent: 'absentFromExport',
} as const;

/**
 * The counts as blocks of aligned lines: users always, organizations, memberships and users
 * absent from the export when the job has any, then the records read and those joined into a user. Shared by `migrate local`
 * and `status`, which knows no reasons.
 */
export function formatCountBlocks(
  countsByKind: OutcomeCountsByKind,
  records: { read: number; joinedIntoUser: number },
  reasons?: MigrationSummary['reasons'],
): string[] {
  const kinds = (['user', 'organization', 'membership', 'absent'] as const).filter(
    (kind) => kind === 'user' || totalOf(countsByKind[kind]) > 0,
  );
  const numbers = [
    records.read,
    records.joinedIntoUser,
    ...kinds.flatMap((kind) => Object.values(countsByKind[kind])),
  ];
  const width = Math.max(...numbers.map((n) => count(n).length));
  const row = (label: string, n: number, reasonCounts?: ReasonCounts) =>
    `    ${label.padEnd(labelWidth - 2)}${count(n).padStart(width)}${formatReasons(reasonCounts)}`;
  const lines: string[] = [];
  for (const kind of kinds) {
    lines.push(`  ${kindLabels[kind]}`);
    const kindReasons = reasons?.[reasonKeys[kind]];
    for (const status of recordStatuses) {
      lines.push(row(status, countsByKind[kind][status], kindReasons?.[status]));
    }
  }
  lines.push('  records', row('read', records.read));
  lines.push(row('joined into a user', records.joinedIntoUser, reasons?.joined));
  return lines;
}

function formatReasons(reasons: ReasonCounts | undefined): string {
  if (reasons === undefined) return '';
  const listed = Object.entries(reasons)
    .filter(([reason]) => reason !== 'unknown')
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ${count(n)}`);
  return listed.length === 0 ? '' : `   (${listed.join(', ')})`;
}

function count(n: number): string {
  return numberFormat.format(n);
}

function totalOf(counts: OutcomeCounts): number {
  return recordStatuses.reduce((total, status) => total + counts[status], 0);
}

export function formatProgress(done: number, read: number): string {
  return `  ${numberFormat.format(done)} of ${numberFormat.format(read)} records read so far have an outcome`;
}

/**
 * A reason without the line numbers it carries, so that one reason is one count however many
 * lines it names: `joined_into_line:7` → `joined_into_line`, `merged_into_file_line:1:7` →
 * `merged_into_file_line`. Each part of a compound reason (`a;b`) is treated alike.
 */
export function reasonGroupOf(reason: string): string {
  return reason
    .split(';')
    .map((part) => part.replace(/(?::\d+)+$/, ''))
    .join(';');
}

/** How often each reason (grouped, see `reasonGroupOf`) occurs among the outcomes chosen. */
export function groupedReasonCounts(
  outcomes: Iterable<RecordOutcome>,
  include: (outcome: RecordOutcome) => boolean,
): ReasonCounts {
  const reasons: ReasonCounts = {};
  for (const outcome of outcomes) {
    if (!include(outcome)) continue;
    const reason = reasonGroupOf(outcome.reason ?? 'unknown');
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return reasons;
}

/** How often each reason occurs among the outcomes of one status. */
export function reasonCounts(
  outcomes: Iterable<RecordOutcome>,
  status: RecordStatus,
): Map<string, number> {
  const reasons = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.status !== status) continue;
    const reason = outcome.reason ?? 'unknown';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return reasons;
}
