/**
 * Stands in for Lambda's SQS event source mapping (which moto cannot run) against a real SQS API:
 * receives batches, invokes the handler with a real-shaped `SQSEvent`, and settles the batch the
 * way Lambda does with `ReportBatchItemFailures` on (see reference §2.2):
 *
 * | handler outcome                                              | deleted             |
 * |--------------------------------------------------------------|---------------------|
 * | null, undefined, `{}`, `batchItemFailures` empty or null     | every message       |
 * | `batchItemFailures: [{ itemIdentifier }]` naming batch items | every message not listed |
 * | throws; or a malformed response (unknown, empty or null id,  | none: the whole     |
 * | item without `itemIdentifier`, `batchItemFailures` not a list) | batch is retried  |
 *
 * Messages left on the queue reappear when their visibility timeout expires (or when the
 * handler changes their visibility); SQS's redrive policy moves them to the DLQ after
 * `maxReceiveCount` receives. None of that is simulated here: the queue does it.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';

/**
 * Any Lambda handler for SQS: a plain async function, a middy handler or a `Handler<SQSEvent>`.
 * The `never` rest parameter accepts handlers that also declare Lambda's callback; the harness
 * never passes one (the nodejs24.x runtime has no callback handlers).
 */
export type SqsLambdaHandler = (event: SQSEvent, context: Context, ...rest: never[]) => unknown;

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsLambdaHandler;
  /** Messages per invocation, 1–10 (one ReceiveMessage per batch; no batching window). */
  batchSize?: number;
  /** Invocations in flight at most, like the mapping's `maxConcurrency`. */
  maxConcurrency?: number;
  /**
   * The Lambda context. A function is called once per invocation, so each invocation gets its
   * own request id and deadline; the default is `fakeLambdaContext()` per invocation.
   */
  context?: Context | (() => Context);
  /** Checked before every poll; the loop stops once it returns true and in-flight batches settle. */
  until: () => boolean | Promise<boolean>;
  /** Rejects with the stats so far if `until` is not satisfied in time. */
  timeoutMs: number;
  /**
   * Also stop, without error, once no message has been received for this long. Leave it unset
   * to rely on `until` alone; when set, make it longer than the queue's visibility timeout or
   * retries still to come will be missed.
   */
  idleMs?: number;
  /** Long-poll wait of each ReceiveMessage; small, so `until` is checked often. */
  waitTimeSeconds?: number;
}

export interface SqsEventSourceStats {
  invocations: number;
  messagesReceived: number;
  messagesDeleted: number;
  /** Received and not deleted: reported failures, whole batches of throwing or malformed responses. */
  messagesLeftForRetry: number;
  handlerErrors: number;
  malformedResponses: number;
  /** The most invocations that were in flight at once. */
  maxInFlight: number;
  stoppedBy: 'until' | 'idle';
}

/** How long after `timeoutMs` to wait for invocations still running before giving up on them. */
const hungHandlerGraceMs = 10_000;

type BatchOutcome =
  | { kind: 'delete-all' }
  | { kind: 'keep'; messageIds: ReadonlySet<string> }
  | { kind: 'retry-all'; reason: 'handler-error' | 'malformed-response' };

export async function runSqsEventSource(
  options: SqsEventSourceOptions,
): Promise<SqsEventSourceStats> {
  const {
    sqs,
    queueUrl,
    handler,
    batchSize = 10,
    maxConcurrency = 2,
    context,
    until,
    timeoutMs,
    idleMs,
    waitTimeSeconds = 1,
  } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be an integer from 1 to 10, got ${batchSize}`);
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new RangeError(`maxConcurrency must be a positive integer, got ${maxConcurrency}`);
  }

  const eventSourceArn = await fetchQueueArn(sqs, queueUrl);
  const awsRegion = eventSourceArn.split(':')[3] ?? 'us-east-1';
  const stats: SqsEventSourceStats = {
    invocations: 0,
    messagesReceived: 0,
    messagesDeleted: 0,
    messagesLeftForRetry: 0,
    handlerErrors: 0,
    malformedResponses: 0,
    maxInFlight: 0,
    stoppedBy: 'until',
  };
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  let lastMessageAt = startedAt;
  let inFlight = 0;
  let stop:
    | { reason: 'until' | 'idle' | 'timeout' }
    | { reason: 'error'; error: unknown }
    | undefined;

  const newContext = (): Context =>
    typeof context === 'function' ? context() : (context ?? fakeLambdaContext());

  // One poller per concurrent invocation: each receives a batch, invokes, settles, repeats.
  const poller = async (): Promise<void> => {
    while (!stop) {
      try {
        if (await until()) {
          stop ??= { reason: 'until' };
          break;
        }
        if (Date.now() >= deadline) {
          stop ??= { reason: 'timeout' };
          break;
        }
        if (idleMs !== undefined && Date.now() - lastMessageAt >= idleMs && inFlight === 0) {
          stop ??= { reason: 'idle' };
          break;
        }
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) continue;
        lastMessageAt = Date.now();
        stats.messagesReceived += Messages.length;

        const event: SQSEvent = {
          Records: Messages.map((message) => toSqsRecord(message, eventSourceArn, awsRegion)),
        };
        inFlight += 1;
        stats.invocations += 1;
        stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
        const outcome = await invoke(handler, event, newContext()).finally(() => {
          inFlight -= 1;
          lastMessageAt = Date.now();
        });

        if (outcome.kind === 'retry-all') {
          if (outcome.reason === 'handler-error') stats.handlerErrors += 1;
          else stats.malformedResponses += 1;
          stats.messagesLeftForRetry += Messages.length;
          continue;
        }
        const toDelete =
          outcome.kind === 'delete-all'
            ? Messages
            : Messages.filter((message) => !outcome.messageIds.has(message.MessageId ?? ''));
        const deleted = await deleteMessages(sqs, queueUrl, toDelete);
        stats.messagesDeleted += deleted;
        stats.messagesLeftForRetry += Messages.length - deleted;
      } catch (error) {
        // The harness's own SQS calls or `until` threw (a handler error never gets here): stop and report.
        stop ??= { reason: 'error', error };
      }
    }
  };

  const pollers = Promise.all(Array.from({ length: maxConcurrency }, poller));
  // A handler that never settles would otherwise hold the loop past its deadline.
  let guardTimer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    guardTimer = setTimeout(() => resolve('hung'), timeoutMs + hungHandlerGraceMs);
  });
  const settled = await Promise.race([pollers.then(() => 'settled' as const), hung]);
  clearTimeout(guardTimer);
  if (settled === 'hung') {
    stop ??= { reason: 'timeout' };
    throw new Error(
      `runSqsEventSource timed out after ${timeoutMs} ms with ${inFlight} handler invocation(s) ` +
        `still running (${describeStats(stats)})`,
    );
  }

  const summary = describeStats(stats);
  if (stop?.reason === 'timeout') {
    throw new Error(
      `runSqsEventSource timed out after ${timeoutMs} ms before until() was satisfied (${summary})`,
    );
  }
  if (stop?.reason === 'error') {
    throw new Error(`runSqsEventSource stopped: an SQS call or until() threw (${summary})`, {
      cause: stop.error,
    });
  }
  stats.stoppedBy = stop?.reason === 'idle' ? 'idle' : 'until';
  return stats;
}

async function invoke(
  handler: SqsLambdaHandler,
  event: SQSEvent,
  context: Context,
): Promise<BatchOutcome> {
  try {
    return interpretResponse(await handler(event, context), event);
  } catch {
    return { kind: 'retry-all', reason: 'handler-error' };
  }
}

/** Lambda's reading of a partial batch response. */
function interpretResponse(response: unknown, event: SQSEvent): BatchOutcome {
  if (response === undefined || response === null) return { kind: 'delete-all' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { kind: 'retry-all', reason: 'malformed-response' };
  }
  const failures: unknown = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'delete-all' };
  if (!Array.isArray(failures)) return { kind: 'retry-all', reason: 'malformed-response' };

  const batchIds = new Set(event.Records.map((record) => record.messageId));
  const messageIds = new Set<string>();
  for (const failure of failures) {
    const id: unknown =
      typeof failure === 'object' && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '' || !batchIds.has(id)) {
      return { kind: 'retry-all', reason: 'malformed-response' };
    }
    messageIds.add(id);
  }
  return messageIds.size === 0 ? { kind: 'delete-all' } : { kind: 'keep', messageIds };
}

/** Deletes in one DeleteMessageBatch (≤ 10 entries); returns how many SQS confirmed. */
async function deleteMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: Message[],
): Promise<number> {
  if (messages.length === 0) return 0;
  // A receipt handle can go stale if the handler outran the visibility timeout; Lambda ignores
  // that too, and the message is simply delivered again.
  const { Successful = [] } = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        ReceiptHandle: message.ReceiptHandle,
      })),
    }),
  );
  return Successful.length;
}

function toSqsRecord(message: Message, eventSourceArn: string, awsRegion: string): SQSRecord {
  const systemAttributes = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ...systemAttributes,
    ApproximateReceiveCount: systemAttributes.ApproximateReceiveCount ?? '1',
    SentTimestamp: systemAttributes.SentTimestamp ?? String(Date.now()),
    SenderId: systemAttributes.SenderId ?? 'AIDAEXAMPLESENDER',
    ApproximateFirstReceiveTimestamp:
      systemAttributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: eventSourceArn,
    awsRegion,
  };
  if (message.MD5OfMessageAttributes)
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** SQS API attributes (`StringValue`, bytes) → Lambda's event shape (`stringValue`, base64). */
function toLambdaMessageAttributes(
  attributes: Record<string, MessageAttributeValue>,
): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => {
      const converted: SQSMessageAttributes[string] = {
        dataType: value.DataType ?? 'String',
        stringListValues: value.StringListValues ?? [],
        binaryListValues: (value.BinaryListValues ?? []).map(base64),
      };
      if (value.StringValue !== undefined) converted.stringValue = value.StringValue;
      if (value.BinaryValue !== undefined) converted.binaryValue = base64(value.BinaryValue);
      return [name, converted];
    }),
  );
}

async function fetchQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes returned no QueueArn for ${queueUrl}`);
  return arn;
}

function describeStats(stats: SqsEventSourceStats): string {
  return (
    `${stats.invocations} invocations, ${stats.messagesReceived} messages received, ` +
    `${stats.messagesDeleted} deleted, ${stats.messagesLeftForRetry} left for retry, ` +
    `${stats.handlerErrors} handler errors, ${stats.malformedResponses} malformed responses`
  );
}

export interface FakeLambdaContextOptions {
  /** Time left before the fake function times out, counted from this call. Default 30 s. */
  remainingMs?: number;
  functionName?: string;
  memoryLimitInMB?: number;
}

/** A `Context` like the nodejs24.x runtime passes, with a deadline that really counts down. */
export function fakeLambdaContext({
  remainingMs = 30_000,
  functionName = 'test-function',
  memoryLimitInMB = 1024,
}: FakeLambdaContextOptions = {}): Context {
  const deadline = Date.now() + remainingMs;
  const unsupported = (name: string) => (): never => {
    throw new Error(`context.${name}() is not available on the nodejs24.x runtime`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: String(memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
