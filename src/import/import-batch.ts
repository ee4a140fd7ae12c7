import { randomUUID } from 'node:crypto';
import {
  classifyFailure,
  failureReasonOf,
  PermanentImportError,
  RateLimitedError,
  WorkOsAuthenticationError,
  WriteSlotUnavailableError,
} from '../errors.ts';
import type { MigrationLedger } from '../ledger/migration-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import {
  importMessageSchema,
  type ParsedImportMessage,
  recordPosition,
  serializeImportMessage,
  sourceIdOf,
} from '../model/import-message.ts';
import { type RecordOutcome, recordKindOfMessage } from '../model/outcome.ts';
import type { BatchResult, QueueControl, ReceivedMessage } from '../queue/queue-types.ts';
import type { OrganizationDirectory } from '../workos/organization-directory.ts';
import type { UserDirectory } from '../workos/user-directory.ts';
import { importMembership } from './import-membership.ts';
import {
  pacedOrganizationDirectory,
  pacedUserDirectory,
  type WorkOsTiming,
  type WriteSlots,
} from './paced-directory.ts';
import { removeBlockedUser } from './remove-blocked-user.ts';
import { upsertOrganization } from './upsert-organization.ts';
import { upsertUser } from './upsert-user.ts';
import type { WritePacer } from './write-pacer.ts';

type ParsedUserMessage = Extract<ParsedImportMessage, { kind: 'user' }>;

export interface ImportBatchDependencies {
  directory: UserDirectory;
  pacer: WritePacer;
  queue: QueueControl;
  /**
   * WorkOS organizations, memberships and password resets: needed by jobs with organizations,
   * members, or `sendPasswordResets`.
   */
  organizations?: OrganizationDirectory;
  /** Where outcomes go, and where a duplicate delivery is recognised. */
  ledger: Pick<MigrationLedger, 'recordOutcome' | 'claimRecord' | 'releaseRecord' | 'outcomeOf'>;
  logger: PipelineLogger;
  /** The queue's redrive `maxReceiveCount`: the last delivery dead-letters with a reason. */
  maxReceiveCount: number;
  /** How long a record may wait for a write slot before it is put back on the queue instead. */
  maxPacingWaitMs: number;
  /** Delay before a transient failure is retried; `transientRetryDelaySeconds` by default. */
  retryDelaySeconds?: (receiveCount: number) => number;
}

/** What became of one message: acknowledged (deleted) or left on the queue for another try. */
type MessageResult = 'acknowledge' | 'retry';

/**
 * Imports one batch of user messages into WorkOS. Records run concurrently, but every WorkOS
 * write waits for a slot from the pacer, so the batch moves at the target rate however slow or
 * fast WorkOS answers. A failing record fails alone.
 *
 * Retry policy, by failure class (see `classifyFailure`):
 * | class        | what happens                                                               |
 * | rate-limited | the pacer pauses every write; the record is re-sent with a delay (its      |
 * |              | receive count is not used up: a 429 is not the record's fault)             |
 * | transient    | left on the queue with a growing delay; dead-lettered with its reason on   |
 * |              | the last allowed receive                                                   |
 * | permanent    | dead-lettered at once with its reason                                      |
 * | fatal        | (bad API key) nothing in the batch is acknowledged; the error is thrown    |
 */
export async function importBatch(
  messages: ReceivedMessage[],
  deps: ImportBatchDependencies,
): Promise<BatchResult> {
  let fatal: WorkOsAuthenticationError | undefined;
  const results = await Promise.all(
    messages.map(async (message): Promise<MessageResult> => {
      try {
        return await importMessage(message, deps);
      } catch (error) {
        if (error instanceof WorkOsAuthenticationError) fatal = error;
        else {
          // The queue or the outcome store failed us, not WorkOS: leave the record for another try.
          deps.logger.error('Message handling failed; leaving it on the queue', {
            messageId: message.messageId,
            reason: failureReasonOf(error),
            error: error instanceof Error ? error.name : 'unknown',
          });
        }
        return 'retry';
      }
    }),
  );
  if (fatal !== undefined) throw fatal;
  return {
    failedMessageIds: messages
      .filter((_, index) => results[index] === 'retry')
      .map((message) => message.messageId),
  };
}

/** What one record's import step did in WorkOS. */
interface StepResult {
  /**
   * `rejected`: a data condition found in WorkOS (the record's email held by another user, a
   * blocked user): settled with its reason, never dead-lettered, since no redrive can change it.
   */
  status: 'created' | 'updated' | 'unchanged' | 'rejected';
  workosId?: string;
  reason?: string;
}

async function importMessage(
  message: ReceivedMessage,
  deps: ImportBatchDependencies,
): Promise<MessageResult> {
  const parsed = parseImportMessage(message.body);
  if (parsed === undefined) {
    deps.logger.error('Dead-lettering a message that is not an import message', {
      messageId: message.messageId,
    });
    await deps.queue.deadLetter(message, 'invalid_message');
    return 'acknowledge';
  }
  const { origin } = parsed;
  // Job and line identify the record in logs. Never the source id: an enterprise (SAML) user's id
  // embeds their email (`samlp|connection|ada@example.com`). The ledger and reports hold it.
  const context = { jobId: origin.jobId, line: origin.line, file: origin.file };
  const position = recordPosition(origin);

  // At-least-once delivery, a re-split after a cut-off, a redrive of a record that went through
  // on a later try: the ledger knows, and WorkOS is not asked again. A delivery of the same
  // record that is being worked on right now waits: only one may decide its outcome.
  const claimToken = randomUUID();
  const claim = await deps.ledger.claimRecord(origin.jobId, position, {
    token: claimToken,
    leaseUntil: Date.now() + recordClaimLeaseMs,
  });
  if (claim === 'final') {
    deps.logger.debug('Duplicate delivery skipped', context);
    await settleJoinedRecords(parsed, deps);
    return 'acknowledge';
  }
  if (claim === 'busy') {
    deps.logger.debug('Another delivery holds this record; deferring', context);
    await deferOrGiveUp(message, parsed, busyRecordDelaySeconds, 'rate_limited_too_long', deps);
    return 'acknowledge';
  }
  const release = () => deps.ledger.releaseRecord(origin.jobId, position, claimToken);

  const timing: WorkOsTiming = { workosMs: 0 };
  try {
    const result = await importStep(parsed, deps, timing);
    await recordOutcome(
      {
        origin,
        kind: recordKindOfMessage(parsed.kind),
        sourceId: sourceIdOf(parsed),
        status: result.status,
        ...(result.workosId === undefined ? {} : { workosUserId: result.workosId }),
        ...(result.reason ? { reason: result.reason } : {}),
      },
      deps,
      { workosMs: Math.round(timing.workosMs) },
    );
    await settleJoinedRecords(parsed, deps);
    return 'acknowledge';
  } catch (caught) {
    let error = caught;
    let retried = parsed;
    if (caught instanceof PasswordResetPendingError) {
      error = caught.cause;
      retried = caught.pending;
    }
    const reason = failureReasonOf(error);
    switch (classifyFailure(error)) {
      case 'rate-limited': {
        const retryAfterSeconds = error instanceof RateLimitedError ? error.retryAfterSeconds : 1;
        deps.pacer.pauseFor(retryAfterSeconds);
        deps.logger.warn('WorkOS rate limit reached; pausing writes', {
          ...context,
          retryAfterSeconds,
        });
        await release();
        await deferOrGiveUp(message, retried, retryAfterSeconds, 'rate_limited_too_long', deps);
        return 'acknowledge';
      }
      case 'not-ready': {
        const retryAfterSeconds =
          error instanceof WriteSlotUnavailableError
            ? error.retryAfterSeconds
            : dependencyRetryDelaySeconds(retried.deferrals);
        deps.logger.debug('Record waits for a write slot or a dependency', { ...context, reason });
        await release();
        await deferOrGiveUp(message, retried, retryAfterSeconds, reason, deps);
        return 'acknowledge';
      }
      case 'permanent':
        await deadLetter(message, parsed, reason, deps);
        return 'acknowledge';
      case 'transient': {
        if (message.receiveCount >= deps.maxReceiveCount) {
          await deadLetter(message, parsed, reason, deps);
          return 'acknowledge';
        }
        const delaySeconds = (deps.retryDelaySeconds ?? transientRetryDelaySeconds)(
          message.receiveCount,
        );
        deps.logger.warn('Import failed; will retry', {
          ...context,
          reason,
          receiveCount: message.receiveCount,
          delaySeconds,
        });
        await release();
        await deps.queue.retryLater(message, delaySeconds);
        return 'retry';
      }
      case 'fatal':
        await release();
        deps.logger.error('WorkOS refused the API key; stopping the import', { reason });
        throw error;
    }
  }
}

/**
 * The WorkOS calls for one record. Every write waits for its own pacer slot (see
 * `inWriteSlot`), so a record that needs two writes costs two slots.
 */
async function importStep(
  message: ParsedImportMessage,
  deps: ImportBatchDependencies,
  timing: WorkOsTiming,
): Promise<StepResult> {
  const slots = { pacer: deps.pacer, maxWaitMs: deps.maxPacingWaitMs };
  const directory = pacedUserDirectory(deps.directory, slots, timing);
  switch (message.kind) {
    case 'user': {
      const result = message.passwordResetPending
        ? { ...message.passwordResetPending }
        : await upsertUser(directory, message.user, {
            ...(message.options?.overwriteExistingUsers ? { overwriteExistingUsers: true } : {}),
          });
      if (result.status === 'rejected') {
        return {
          status: result.status,
          workosId: result.workosUserId,
          ...reasonOf([result.reason]),
        };
      }
      const written = { status: result.status, workosUserId: result.workosUserId };
      const notes = [
        'reason' in result ? result.reason : undefined,
        message.user.note,
        shouldSendPasswordReset(message, result.status)
          ? await sendPasswordReset(message, written, deps, slots, timing)
          : undefined,
      ];
      return { status: result.status, workosId: result.workosUserId, ...reasonOf(notes) };
    }
    case 'blocked_user': {
      const result = await removeBlockedUser(directory, message.blockedUser);
      return {
        status: result.status,
        ...(result.workosUserId === undefined ? {} : { workosId: result.workosUserId }),
        reason: result.reason,
      };
    }
    case 'organization': {
      const result = await upsertOrganization(
        pacedOrganizationDirectory(organizationsOf(deps), slots, timing),
        message.organization,
      );
      return {
        status: result.status,
        workosId: result.workosOrganizationId,
        ...reasonOf([result.reason, message.organization.note]),
      };
    }
    case 'membership': {
      const result = await importMembership(
        {
          users: directory,
          organizations: pacedOrganizationDirectory(organizationsOf(deps), slots, timing),
        },
        message.membership,
      );
      return {
        status: result.status,
        workosId: result.workosMembershipId,
        ...reasonOf([result.reason, message.membership.note]),
      };
    }
  }
}

function organizationsOf(deps: ImportBatchDependencies): OrganizationDirectory {
  if (deps.organizations === undefined) {
    throw new PermanentImportError(
      'organizations_not_configured',
      'This consumer was not given a WorkOS organization client',
    );
  }
  return deps.organizations;
}

/**
 * A reset email goes to a user this delivery created whom the source marks as needing one (a
 * hash WorkOS cannot take, a database user whose hash is not in the export, a source that exports
 * no hashes), when the job asked for resets. Never to a social or enterprise user, who signs in
 * through their provider. Only on creation: a re-run of the same export (unchanged users) never
 * sends a second email.
 */
function shouldSendPasswordReset(message: ParsedUserMessage, status: StepResult['status']) {
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
async function sendPasswordReset(
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
class PasswordResetPendingError extends Error {
  override name = 'PasswordResetPendingError';
  readonly pending: ParsedUserMessage;

  constructor(pending: ParsedUserMessage, cause: unknown) {
    super('Password reset deferred', { cause });
    this.pending = pending;
  }
}

function reasonOf(notes: (string | undefined)[]): { reason?: string } {
  const present = notes.filter((note): note is string => note !== undefined && note !== '');
  return present.length === 0 ? {} : { reason: present.join(';') };
}

/**
 * A password-export line joined into this user ends in the user's state: recorded after the
 * user's own outcome, and again on any later delivery (the first may have stopped in between),
 * which is harmless: a final outcome is recorded once.
 */
async function settleJoinedRecords(
  message: ParsedImportMessage,
  deps: ImportBatchDependencies,
): Promise<void> {
  if (message.joined === undefined || message.joined.length === 0) return;
  const primary = await deps.ledger.outcomeOf(message.origin.jobId, recordPosition(message.origin));
  if (primary === undefined) return;
  for (const joined of message.joined) {
    await recordOutcome(
      {
        origin: joined,
        kind: 'joined',
        sourceId: sourceIdOf(message),
        status: primary.status,
        ...(primary.workosUserId ? { workosUserId: primary.workosUserId } : {}),
        reason: `joined_into_line:${message.origin.line}`,
      },
      deps,
    );
  }
}

/**
 * Delay before the next try of a transiently failing record: 5 s, 10 s, 20 s ... capped at 5 min,
 * with jitter so records that failed together do not come back together.
 */
const maxRetryDelaySeconds = 300;

export function transientRetryDelaySeconds(receiveCount: number, random = Math.random): number {
  const base = Math.min(maxRetryDelaySeconds, 5 * 2 ** Math.max(0, receiveCount - 1));
  const jittered = Math.round(base * (0.75 + random() * 0.5));
  return Math.max(1, Math.min(maxRetryDelaySeconds, jittered));
}

/**
 * Delay before a record whose user or organization is not in WorkOS yet looks again: 2 s, 4 s,
 * 8 s... up to SQS's 15 minutes. It is usually a moment behind (the user's own message is on
 * its way), sometimes a whole file behind (members uploaded before their users); 100 deferrals
 * wait for about a day in all.
 */
export function dependencyRetryDelaySeconds(deferrals: number, random = Math.random): number {
  const base = Math.min(maxQueueDelaySeconds, 2 * 2 ** Math.min(deferrals, 10));
  return Math.max(1, Math.min(maxQueueDelaySeconds, Math.round(base * (0.75 + random() * 0.5))));
}

/**
 * How long a delivery holds a record: longer than it can take (a pacing wait of at most
 * `maxPacingWaitMs` plus up to three WorkOS calls), shorter than the queue's visibility timeout,
 * so a crashed delivery's claim has lapsed when SQS hands the record out again.
 */
const recordClaimLeaseMs = 90_000;
/** A record another delivery is working on comes back after this long. */
const busyRecordDelaySeconds = 30;

/** SQS delays a message by at most 15 minutes. */
const maxQueueDelaySeconds = 900;

/**
 * A record deferred this often has waited through hours of rate limiting; it is dead-lettered
 * rather than left circling forever (the consumer re-enqueues to its own trigger queue).
 */
export const maxDeferrals = 100;

async function deferOrGiveUp(
  received: ReceivedMessage,
  message: ParsedImportMessage,
  delaySeconds: number,
  reasonWhenExhausted: string,
  deps: ImportBatchDependencies,
): Promise<void> {
  if (message.deferrals >= maxDeferrals) {
    await deadLetter(received, message, reasonWhenExhausted, deps);
    return;
  }
  const deferred = { ...message, deferrals: message.deferrals + 1 };
  await deps.queue.requeue(
    serializeImportMessage(deferred),
    Math.min(maxQueueDelaySeconds, Math.max(1, Math.ceil(delaySeconds))),
  );
}

async function deadLetter(
  message: ReceivedMessage,
  parsed: ParsedImportMessage,
  reason: string,
  deps: ImportBatchDependencies,
): Promise<void> {
  await deps.queue.deadLetter(message, reason);
  const sourceId = sourceIdOf(parsed);
  const kind = recordKindOfMessage(parsed.kind);
  await recordOutcome({ origin: parsed.origin, kind, sourceId, status: 'failed', reason }, deps);
  // The joined password line fails with its user, and moves with it when the user is redriven.
  for (const joined of parsed.joined ?? []) {
    await recordOutcome(
      { origin: joined, kind: 'joined', sourceId, status: 'failed', reason },
      deps,
    );
  }
}

/**
 * Records an outcome in the ledger and logs it: one structured line per record, no PII, with the
 * time the WorkOS calls took when there were any (the dashboard's WorkOS latency).
 */
async function recordOutcome(
  outcome: RecordOutcome,
  deps: ImportBatchDependencies,
  timing: { workosMs?: number } = {},
): Promise<void> {
  const result = await deps.ledger.recordOutcome(outcome);
  const fields = {
    jobId: outcome.origin.jobId,
    line: outcome.origin.line,
    file: outcome.origin.file,
    kind: outcome.kind,
    status: outcome.status,
    workosUserId: outcome.workosUserId,
    reason: outcome.reason,
    ledger: result,
    ...timing,
  };
  if (outcome.status === 'failed') deps.logger.warn('Record outcome', fields);
  else deps.logger.info('Record outcome', fields);
}

function parseImportMessage(body: string): ParsedImportMessage | undefined {
  try {
    const result = importMessageSchema.safeParse(JSON.parse(body));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
