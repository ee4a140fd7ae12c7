import type { ImportMessage, RecordOrigin } from './import-message.ts';

/**
 * The terminal states of an input record. Every record read ends in exactly one of them.
 * - created / updated / unchanged: the user is in WorkOS as the export describes.
 * - rejected: the record cannot be imported as exported (found while splitting; has a reason).
 * - failed: WorkOS refused it or kept failing; it is in the dead-letter queue with a reason.
 */
export const recordStatuses = ['created', 'updated', 'unchanged', 'rejected', 'failed'] as const;
export type RecordStatus = (typeof recordStatuses)[number];

/**
 * What a record is about. `joined`: a record folded into another record's user (a password line
 * joined into its user, a duplicate email merged into the record that wins): it ends in that
 * user's state but is not a user of its own, so it never counts as one. `absent`: a WorkOS user
 * imported from the job's source earlier that the job's export no longer holds (listed after the
 * export's own records, from the environment's snapshot).
 */
export const recordKinds = ['user', 'organization', 'membership', 'joined', 'absent'] as const;
export type RecordKind = (typeof recordKinds)[number];

export interface RecordOutcome {
  origin: RecordOrigin;
  kind: RecordKind;
  /** Source id when the record had one (a line that is not JSON has none). */
  sourceId?: string;
  status: RecordStatus;
  workosUserId?: string;
  /** A short machine-readable reason (`missing_email`, `invalid_json`...). Never holds PII. */
  reason?: string;
}

export type OutcomeCounts = Record<RecordStatus, number>;
export type OutcomeCountsByKind = Record<RecordKind, OutcomeCounts>;

export function emptyOutcomeCounts(): OutcomeCounts {
  return { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 };
}

export function emptyOutcomeCountsByKind(): OutcomeCountsByKind {
  return {
    user: emptyOutcomeCounts(),
    organization: emptyOutcomeCounts(),
    membership: emptyOutcomeCounts(),
    joined: emptyOutcomeCounts(),
    absent: emptyOutcomeCounts(),
  };
}

/** Adds `counts` into `total`, status by status. */
export function addOutcomeCounts(total: OutcomeCounts, counts: OutcomeCounts): OutcomeCounts {
  for (const status of recordStatuses) total[status] += counts[status];
  return total;
}

/** Reasons that say a record was folded into another record's user. */
const joinedReasonPrefixes = ['joined_into_line:', 'merged_into_', 'duplicate_of_line:'];

/**
 * The kind of an outcome stored before outcomes had one: a record folded into another is known
 * by its reason; anything else was a user, the only kind there was at first.
 */
export function inferRecordKind(reason: string | undefined): RecordKind {
  if (reason !== undefined && joinedReasonPrefixes.some((prefix) => reason.startsWith(prefix))) {
    return 'joined';
  }
  return 'user';
}

export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === 'string' && (recordKinds as readonly string[]).includes(value);
}

/** What the record behind a queue message is about: a blocked user is still a user. */
export function recordKindOfMessage(kind: ImportMessage['kind'] | undefined): RecordKind {
  switch (kind) {
    case 'organization':
      return 'organization';
    case 'membership':
      return 'membership';
    case 'absent_user':
      return 'absent';
    default:
      return 'user';
  }
}
