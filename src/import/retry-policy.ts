import {
  classifyFailure,
  failureReasonOf,
  RateLimitedError,
  WriteSlotUnavailableError,
} from '../errors.ts';
import {
  type ParsedImportMessage,
  serializeImportMessage,
  sourceIdOf,
} from '../model/import-message.ts';
import { recordKindOfMessage } from '../model/outcome.ts';
import type { ReceivedMessage } from '../queue/queue-types.ts';
import type { ImportBatchDependencies } from './import-batch.ts';
import { PasswordResetPendingError } from './password-reset.ts';
import { recordOutcome } from './record-outcome.ts';

/**
 * What the consumer does with a record whose import failed, by failure class (see
 * `classifyFailure` in errors.ts). The one place that decides between retrying, deferring,
 * dead-lettering and stopping:
 * | class        | what happens                                                               |
 * | rate-limited | the pacer pauses every write; the record is re-sent with a delay (its      |
 * |              | receive count is not used up: a 429 is not the record's fault)             |
 * | not-ready    | re-sent with a delay (no write slot soon enough; a membership's user or    |
 * |              | organization not imported yet), its receives untouched                     |
 * | transient    | left on the queue with a growing delay; dead-lettered with its reason on   |
 * |              | the last allowed receive                                                   |
 * | permanent    | dead-lettered at once with its reason                                      |
 * | fatal        | (bad API key) the error is thrown: nothing in the batch is acknowledged    |
 */
export async function handleImportFailure(
  caught: unknown,
  {
    received: message,
    parsed,
    context,
    release,
  }: {
    received: ReceivedMessage;
    parsed: ParsedImportMessage;
    context: Record<string, unknown>;
    release: () => Promise<void>;
  },
  deps: ImportBatchDependencies,
): Promise<'acknowledge' | 'retry'> {
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
export const recordClaimLeaseMs = 90_000;
/** A record another delivery is working on comes back after this long. */
export const busyRecordDelaySeconds = 30;

/** SQS delays a message by at most 15 minutes. */
const maxQueueDelaySeconds = 900;

/**
 * A record deferred this often has waited through hours of rate limiting; it is dead-lettered
 * rather than left circling forever (the consumer re-enqueues to its own trigger queue).
 */
export const maxDeferrals = 100;

export async function deferOrGiveUp(
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
