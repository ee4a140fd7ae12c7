import { randomUUID } from 'node:crypto';
import {
  classifyFailure,
  failureReasonOf,
  RateLimitedError,
  WorkOsAuthenticationError,
} from '../../src/errors.ts';
import type { MigrationLedger } from '../../src/ledger/migration-ledger.ts';
import type { PipelineLogger } from '../../src/logger.ts';
import type { RecordOutcome } from '../../src/pipeline/outcome.ts';
import { upsertUser } from '../../src/pipeline/upsert-user.ts';
import {
  serializeUserMessage,
  type UserMessage,
  userMessageSchema,
} from '../../src/pipeline/user-message.ts';
import type { WritePacer } from '../../src/pipeline/write-pacer.ts';
import type { BatchResult, QueueControl, ReceivedMessage } from '../../src/queue/queue-types.ts';
import type { UserDirectory } from '../../src/workos/user-directory.ts';

export interface ImportUserBatchDependencies {
  directory: UserDirectory;
  pacer: WritePacer;
  queue: QueueControl;
  /** Where outcomes go, and where a duplicate delivery is recognised. */
  ledger: Pick<MigrationLedger, 'recordOutcome' | 'claimRecord' | 'releaseRecord'>;
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
export async function importUserBatch(
  messages: ReceivedMessage[],
  deps: ImportUserBatchDependencies,
): Promise<BatchResult> {
  let fatal: WorkOsAuthenticationError | undefined;
  const results = await Promise.all(
    messages.map(async (message): Promise<MessageResult> => {
      try {
        return await importUserMessage(message, deps);
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

async function importUserMessage(
  message: ReceivedMessage,
  deps: ImportUserBatchDependencies,
): Promise<MessageResult> {
  const parsed = parseUserMessage(message.body);
  if (parsed === undefined) {
    deps.logger.error('Dead-lettering a message that is not a user message', {
      messageId: message.messageId,
    });
    await deps.queue.deadLetter(message, 'invalid_message');
    return 'acknowledge';
  }
  const { origin, user } = parsed;
  // Job and line identify the record in logs. Never the source id: an enterprise (SAML) user's id
  // embeds their email (`samlp|connection|ada@example.com`). The ledger and reports hold it.
  const context = { jobId: origin.jobId, line: origin.line };

  // At-least-once delivery, a re-split after a cut-off, a redrive of a record that went through
  // on a later try: the ledger knows, and WorkOS is not asked again. A delivery of the same
  // record that is being worked on right now waits: only one may decide its outcome.
  const claimToken = randomUUID();
  const claim = await deps.ledger.claimRecord(origin.jobId, origin.line, {
    token: claimToken,
    leaseUntil: Date.now() + recordClaimLeaseMs,
  });
  if (claim === 'final') {
    deps.logger.debug('Duplicate delivery skipped', context);
    return 'acknowledge';
  }
  if (claim === 'busy') {
    deps.logger.debug('Another delivery holds this record; deferring', context);
    await deferOrGiveUp(message, parsed, busyRecordDelaySeconds, deps);
    return 'acknowledge';
  }
  const release = () => deps.ledger.releaseRecord(origin.jobId, origin.line, claimToken);

  const slot = await deps.pacer.acquire(deps.maxPacingWaitMs);
  if (!slot.granted) {
    await release();
    await deferOrGiveUp(message, parsed, slot.retryAfterSeconds, deps);
    return 'acknowledge';
  }

  try {
    const started = performance.now();
    const result = await upsertUser(deps.directory, user);
    const workosMs = Math.round(performance.now() - started);
    await recordOutcome(
      {
        origin,
        sourceId: user.sourceId,
        status: result.status,
        workosUserId: result.workosUserId,
        ...(result.reason || user.note ? { reason: result.reason ?? user.note } : {}),
      },
      deps,
      { workosMs },
    );
    return 'acknowledge';
  } catch (error) {
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
        await deferOrGiveUp(message, parsed, retryAfterSeconds, deps);
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
  message: UserMessage,
  delaySeconds: number,
  deps: ImportUserBatchDependencies,
): Promise<void> {
  if (message.deferrals >= maxDeferrals) {
    await deadLetter(received, message, 'rate_limited_too_long', deps);
    return;
  }
  const deferred = { ...message, deferrals: message.deferrals + 1 };
  await deps.queue.requeue(
    serializeUserMessage(deferred),
    Math.min(maxQueueDelaySeconds, Math.max(1, Math.ceil(delaySeconds))),
  );
}

async function deadLetter(
  message: ReceivedMessage,
  parsed: UserMessage,
  reason: string,
  deps: ImportUserBatchDependencies,
): Promise<void> {
  await deps.queue.deadLetter(message, reason);
  await recordOutcome(
    { origin: parsed.origin, sourceId: parsed.user.sourceId, status: 'failed', reason },
    deps,
  );
}

/**
 * Records an outcome in the ledger and logs it: one structured line per record, no PII, with the
 * time the WorkOS calls took when there were any (the dashboard's WorkOS latency).
 */
async function recordOutcome(
  outcome: RecordOutcome,
  deps: ImportUserBatchDependencies,
  timing: { workosMs?: number } = {},
): Promise<void> {
  const result = await deps.ledger.recordOutcome(outcome);
  const fields = {
    jobId: outcome.origin.jobId,
    line: outcome.origin.line,
    status: outcome.status,
    workosUserId: outcome.workosUserId,
    reason: outcome.reason,
    ledger: result,
    ...timing,
  };
  if (outcome.status === 'failed') deps.logger.warn('Record outcome', fields);
  else deps.logger.info('Record outcome', fields);
}

function parseUserMessage(body: string): UserMessage | undefined {
  try {
    const result = userMessageSchema.safeParse(JSON.parse(body));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
