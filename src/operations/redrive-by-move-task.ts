import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { pauseUnlessAborted } from './pause.ts';
import type { RedriveOptions, RedriveResult } from './redrive.ts';

/**
 * Strategy 1 of a redrive: an SQS message-move task moves every dead letter server-side, from the
 * DLQ to the user queue, at the given rate; this follows it until it ends.
 */

/** SQS refuses a message-move task faster than this. */
export const maxMoveTaskMessagesPerSecond = 500;

const defaultPollIntervalMs = 2_000;

/** Error names with which SQS-compatible endpoints say they lack an action. */
const unknownActionErrorNames: ReadonlySet<string> = new Set([
  'UnknownOperation',
  'UnknownOperationException',
  'InvalidAction',
  'NotImplemented',
  'NotImplementedException',
]);

/**
 * moto answers the move-task actions with an HTML error page, which the SDK's JSON parser
 * rejects as a SyntaxError ("Deserialization error"); others name the action unknown.
 */
export function isMoveTaskUnsupported(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (unknownActionErrorNames.has(error.name)) return true;
  return error.name === 'SyntaxError' && /deserialization error/i.test(error.message);
}

/**
 * Starts a message-move task from the DLQ to the user queue (or follows the one already running)
 * and polls it until it completes, fails or is cancelled; aborting cancels it. Returns
 * `{ unavailable }` when the endpoint has no message-move tasks, so the caller can fall back.
 */
export async function redriveByMoveTask(
  options: RedriveOptions,
): Promise<RedriveResult | { unavailable: string }> {
  const { sqs, deadLetterQueueArn, signal, onProgress } = options;
  const pollIntervalMs = options.pollIntervalMs ?? defaultPollIntervalMs;

  let earlierTasks: ListMessageMoveTasksResultEntry[];
  try {
    earlierTasks = await listMoveTasks(sqs, deadLetterQueueArn);
  } catch (error) {
    if (isMoveTaskUnsupported(error)) return { unavailable: errorSummary(error) };
    throw error;
  }

  // SQS allows one active task per queue; starting a second would fail, so follow the first.
  const running = earlierTasks.find((task) => task.Status === 'RUNNING');
  const ours: TaskIdentity = {
    startedAfter: latestStart(earlierTasks.filter((task) => task !== running)),
  };
  if (running) {
    ours.handle = running.TaskHandle;
    ours.startedTimestamp = running.StartedTimestamp;
    onProgress?.({
      type: 'move-task-already-running',
      maxPerSecond: running.MaxNumberOfMessagesPerSecond,
    });
  } else {
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: deadLetterQueueArn,
        DestinationArn: options.queueArn,
        MaxNumberOfMessagesPerSecond: options.maxPerSecond,
      }),
    );
    ours.handle = TaskHandle;
    onProgress?.({ type: 'move-task-started', maxPerSecond: options.maxPerSecond });
  }

  let cancelRequested = false;
  let lastReported: string | undefined;
  for (;;) {
    if (signal?.aborted && !cancelRequested && ours.handle) {
      cancelRequested = true;
      onProgress?.({ type: 'move-task-cancelling' });
      await cancelMoveTask(sqs, ours.handle);
    }
    const task = findTask(await listMoveTasks(sqs, deadLetterQueueArn), ours);
    if (task) {
      ours.startedTimestamp ??= task.StartedTimestamp;
      const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
      const total = task.ApproximateNumberOfMessagesToMove;
      const status = task.Status ?? 'UNKNOWN';
      const report = `${status}:${moved}:${total}`;
      if (report !== lastReported) {
        lastReported = report;
        onProgress?.({ type: 'move-task-progress', moved, total, status });
      }
      const result = (resultStatus: RedriveResult['status']): RedriveResult => ({
        strategy: 'message-move-task',
        status: resultStatus,
        moved,
        skipped: 0,
        failed: resultStatus === 'failed' ? Math.max(0, (total ?? moved) - moved) : 0,
        byReason: {},
        ...(task.FailureReason ? { taskFailureReason: task.FailureReason } : {}),
      });
      if (status === 'COMPLETED') return result('completed');
      if (status === 'CANCELLED') return result('cancelled');
      if (status === 'FAILED') return result('failed');
    }
    // Once aborted, the signal no longer cuts sleeps short, so polling for the end of the
    // cancelled task keeps its pace.
    await pauseUnlessAborted(pollIntervalMs, signal?.aborted ? undefined : signal);
  }
}

/**
 * How to recognise our task in ListMessageMoveTasks: by handle while it runs (SQS drops the
 * handle once it ends), then by start time. A task that ends before we first see it is the one
 * started after every task that existed before ours.
 */
interface TaskIdentity {
  handle?: string | undefined;
  startedTimestamp?: number | undefined;
  startedAfter: number;
}

function findTask(
  tasks: ListMessageMoveTasksResultEntry[],
  ours: TaskIdentity,
): ListMessageMoveTasksResultEntry | undefined {
  const known = tasks.find(
    (task) =>
      (ours.handle !== undefined && task.TaskHandle === ours.handle) ||
      (ours.startedTimestamp !== undefined && task.StartedTimestamp === ours.startedTimestamp),
  );
  if (known || ours.startedTimestamp !== undefined) return known;
  return tasks.find((task) => (task.StartedTimestamp ?? 0) > ours.startedAfter);
}

function latestStart(tasks: ListMessageMoveTasksResultEntry[]): number {
  return Math.max(Number.NEGATIVE_INFINITY, ...tasks.map((task) => task.StartedTimestamp ?? 0));
}

async function listMoveTasks(
  sqs: SQSClient,
  sourceArn: string,
): Promise<ListMessageMoveTasksResultEntry[]> {
  // Most recent first; 10 (the maximum) so an earlier task cannot hide ours.
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
  );
  return Results;
}

async function cancelMoveTask(sqs: SQSClient, taskHandle: string): Promise<void> {
  try {
    await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle }));
  } catch (error) {
    // The task ended between the poll and the cancel; the next poll reports how.
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
    throw error;
  }
}

/** An error's name and first line: enough to diagnose, short enough for a notice. */
function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return `${error.name}: ${error.message.split('\n')[0] ?? ''}`;
}
