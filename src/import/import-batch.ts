import { randomUUID } from 'node:crypto';
import { failureReasonOf, WorkOsAuthenticationError } from '../errors.ts';
import type { MigrationLedger } from '../ledger/migration-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import {
  importMessageSchema,
  type ParsedImportMessage,
  recordPosition,
  sourceIdOf,
} from '../model/import-message.ts';
import { recordKindOfMessage } from '../model/outcome.ts';
import type { BatchResult, QueueControl, ReceivedMessage } from '../queue/queue-types.ts';
import type { OrganizationDirectory } from '../workos/organization-directory.ts';
import type { UserDirectory } from '../workos/user-directory.ts';
import { importStep } from './import-step.ts';
import type { WorkOsTiming } from './paced-directory.ts';
import { recordOutcome, settleJoinedRecords } from './record-outcome.ts';
import {
  busyRecordDelaySeconds,
  deferOrGiveUp,
  handleImportFailure,
  recordClaimLeaseMs,
} from './retry-policy.ts';
import type { WritePacer } from './write-pacer.ts';

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
  /**
   * How long a record may wait for a write slot before it is put back on the queue instead
   * (`defaultMaxPacingWaitMs`).
   */
  maxPacingWaitMs?: number;
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
    return handleImportFailure(caught, { received: message, parsed, context, release }, deps);
  }
}

function parseImportMessage(body: string): ParsedImportMessage | undefined {
  try {
    const result = importMessageSchema.safeParse(JSON.parse(body));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
