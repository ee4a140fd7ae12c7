import type { RecordOrigin } from './user-message.ts';

/**
 * The terminal states of an input record. Every record read ends in exactly one of them.
 * - created / updated / unchanged: the user is in WorkOS as the export describes.
 * - rejected: the record cannot be imported as exported (found while splitting; has a reason).
 * - failed: WorkOS refused it or kept failing; it is in the dead-letter queue with a reason.
 */
export const recordStatuses = ['created', 'updated', 'unchanged', 'rejected', 'failed'] as const;
export type RecordStatus = (typeof recordStatuses)[number];

export interface RecordOutcome {
  origin: RecordOrigin;
  /** Source id when the record had one (a line that is not JSON has none). */
  sourceId?: string;
  status: RecordStatus;
  workosUserId?: string;
  /** A short machine-readable reason (`missing_email`, `invalid_json`...). Never holds PII. */
  reason?: string;
}

export type OutcomeCounts = Record<RecordStatus, number>;

export function emptyOutcomeCounts(): OutcomeCounts {
  return { created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 };
}
