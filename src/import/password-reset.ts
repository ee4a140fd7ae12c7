import { classifyFailure, failureReasonOf } from '../errors.ts';
import type { ParsedImportMessage } from '../model/import-message.ts';
import type { ImportBatchDependencies } from './import-batch.ts';
import type { StepResult } from './import-step.ts';
import {
  pacedOrganizationDirectory,
  type WorkOsTiming,
  type WriteSlots,
} from './paced-directory.ts';

export type ParsedUserMessage = Extract<ParsedImportMessage, { kind: 'user' }>;

/**
 * A reset email goes to a user this delivery created whom the source marks as needing one (a
 * hash WorkOS cannot take, a database user whose hash is not in the export, a source that exports
 * no hashes), when the job asked for resets. Never to a social or enterprise user, who signs in
 * through their provider. Only on creation: a re-run of the same export (unchanged users) never
 * sends a second email.
 */
export function shouldSendPasswordReset(message: ParsedUserMessage, status: StepResult['status']) {
  return (
    message.options?.sendPasswordResets === true &&
    message.user.passwordHash === undefined &&
    (message.user.note?.includes(passwordResetNote) ?? false) &&
    (status === 'created' || message.passwordResetPending !== undefined)
  );
}

/** The note sources give users who need a new password (`password_reset_required:<why>`). */
const passwordResetNote = 'password_reset_required';

/**
 * Sends the reset and says how it went, as a note for the report. The user exists by now, so a
 * reset WorkOS refuses does not fail the user: it is reported (`password_reset_not_sent:<why>`)
 * for the operator to send from WorkOS. A reset that must wait (a 429, no write slot) is not
 * lost: a copy of the message that only sends the reset goes back on the queue, and the user's
 * outcome is recorded when it is sent.
 */
export async function sendPasswordReset(
  message: ParsedUserMessage,
  written: { status: 'created' | 'updated' | 'unchanged'; workosUserId: string },
  deps: ImportBatchDependencies,
  slots: WriteSlots,
  timing: WorkOsTiming,
): Promise<string> {
  const resets = deps.organizations;
  if (resets === undefined) return 'password_reset_not_sent:not_configured';
  try {
    await pacedOrganizationDirectory(resets, slots, timing).createPasswordReset(message.user.email);
    return 'password_reset_sent';
  } catch (error) {
    const failure = classifyFailure(error);
    if (failure === 'rate-limited' || failure === 'not-ready') {
      throw new PasswordResetPendingError(
        {
          ...message,
          passwordResetPending: { status: written.status, workosUserId: written.workosUserId },
        },
        error,
      );
    }
    if (failure === 'fatal') throw error;
    return `password_reset_not_sent:${failureReasonOf(error)}`;
  }
}

/** The user is written; its reset email must wait. Carries the copy that will send it. */
export class PasswordResetPendingError extends Error {
  override name = 'PasswordResetPendingError';
  readonly pending: ParsedUserMessage;

  constructor(pending: ParsedUserMessage, cause: unknown) {
    super('Password reset deferred', { cause });
    this.pending = pending;
  }
}
