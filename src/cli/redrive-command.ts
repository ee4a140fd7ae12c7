import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  countDeadLetters,
  noFailureReason,
  selectsReason,
} from '../operations/dead-letter-scan.ts';
import { formatCount } from '../operations/operator-console.ts';
import {
  type RedriveEvent,
  type RedriveResult,
  redriveDeadLetters,
} from '../operations/redrive.ts';
import { readStackOutputs } from '../operations/stack-outputs.ts';
import { type CommandIo, runStackCommand } from './command-context.ts';

// Region, credentials and AWS_ENDPOINT_URL come from the SDK's default chain (AWS_PROFILE,
// AWS_REGION, SSO, instance roles), as with the AWS CLI. Clients resolve them on first use.
const defaultClients = { sqs: new SQSClient({}), cloudformation: new CloudFormationClient({}) };

export interface RedriveCommandOptions {
  env: string;
  reason?: string;
  rate: number;
  dryRun: boolean;
}

/** `signal` stops the run: cancels the move task, or releases the messages held. */
export interface RedriveCommandDependencies extends CommandIo {
  sqs: SQSClient;
  cloudformation: CloudFormationClient;
  /** Long-poll wait of each DLQ receive, in seconds. */
  receiveWaitSeconds?: number;
}

const loopReportIntervalMs = 2_000;

/**
 * `migrate redrive`: returns the exit code: 0 done, 1 when messages could not be moved (or the
 * run was cancelled), 2 when the environment cannot be resolved.
 */
export async function runRedriveCommand(
  options: RedriveCommandOptions,
  dependencies: RedriveCommandDependencies = defaultClients,
): Promise<number> {
  const { sqs } = dependencies;
  return runStackCommand(
    dependencies,
    { env: options.env, readOutputs: readStackOutputs, interrupt: true, failureExitCode: 1 },
    async ({ out, err, signal }, outputs) => {
      if (options.dryRun) {
        err(`Counting the dead-letter queue of ${outputs.stackName} (nothing is moved)\n`);
        const counts = await countDeadLetters({
          sqs,
          deadLetterQueueUrl: outputs.deadLetterQueueUrl,
          ...(signal ? { signal } : {}),
          ...(dependencies.receiveWaitSeconds !== undefined
            ? { receiveWaitSeconds: dependencies.receiveWaitSeconds }
            : {}),
        });
        out(`${formatReasonTable(counts.byReason)}\n`);
        const selected = Object.entries(counts.byReason)
          .filter(([reason]) => selectsReason(options.reason, reason))
          .reduce((total, [, count]) => total + count, 0);
        out(
          `${counts.partial ? 'Interrupted: counted' : 'Counted'} ${formatCount(counts.total)} message(s); ` +
            `a redrive${options.reason ? ` --reason ${options.reason}` : ''} would move ${formatCount(selected)}.\n`,
        );
        return counts.partial ? 1 : 0;
      }

      err(
        `Redriving ${options.reason ? `messages with reason ${options.reason}` : 'every message'} ` +
          `from the dead-letter queue of ${outputs.stackName} to its user queue, ` +
          `at most ${formatCount(options.rate)}/s. Ctrl-C stops.\n`,
      );
      let lastLoopReportAt = Number.NEGATIVE_INFINITY;
      const result = await redriveDeadLetters({
        sqs,
        deadLetterQueueUrl: outputs.deadLetterQueueUrl,
        deadLetterQueueArn: outputs.deadLetterQueueArn,
        queueUrl: outputs.userQueueUrl,
        queueArn: outputs.userQueueArn,
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        maxPerSecond: options.rate,
        ...(signal ? { signal } : {}),
        ...(dependencies.receiveWaitSeconds !== undefined
          ? { receiveWaitSeconds: dependencies.receiveWaitSeconds }
          : {}),
        onProgress: (event) => {
          // The loop reports every batch of 10; a line every few seconds is enough to read.
          if (event.type === 'loop-progress') {
            if (performance.now() - lastLoopReportAt < loopReportIntervalMs) return;
            lastLoopReportAt = performance.now();
          }
          err(`${describeEvent(event)}\n`);
        },
      });
      out(`${formatRedriveResult(result, options.reason)}\n`);
      return result.status === 'completed' && result.failed === 0 ? 0 : 1;
    },
  );
}

function describeEvent(event: RedriveEvent): string {
  switch (event.type) {
    case 'move-task-started':
      return `Started an SQS message-move task at ${formatCount(event.maxPerSecond)} messages/s.`;
    case 'move-task-already-running':
      return (
        'A message-move task is already running on this dead-letter queue' +
        `${event.maxPerSecond ? ` (${formatCount(event.maxPerSecond)}/s)` : ''}; following it instead of ` +
        'starting another. Ctrl-C cancels it.'
      );
    case 'move-task-progress':
      return `  ${event.status.toLowerCase()}: ${formatCount(event.moved)}${
        event.total !== undefined ? ` of ${formatCount(event.total)}` : ''
      } moved`;
    case 'move-task-cancelling':
      return 'Cancelling the message-move task (messages already moved stay moved)…';
    case 'move-task-unavailable':
      return (
        `This SQS endpoint has no message-move tasks (${event.error}); ` +
        'moving the messages one batch at a time instead.'
      );
    case 'loop-progress':
      return `  moved ${formatCount(event.moved)}, left ${formatCount(event.skipped)} with other reasons${
        event.failed > 0 ? `, could not move ${formatCount(event.failed)}` : ''
      }`;
  }
}

export function formatRedriveResult(result: RedriveResult, reason: string | undefined): string {
  const lines: string[] = [];
  const approximately = result.strategy === 'message-move-task' ? '~' : '';
  const moved = `${approximately}${formatCount(result.moved)} message(s)`;
  if (result.status === 'completed') {
    lines.push(`Moved ${moved} to the user queue.`);
  } else if (result.status === 'cancelled') {
    lines.push(`Stopped after moving ${moved}; the rest are still in the dead-letter queue.`);
  } else {
    lines.push(
      `The message-move task failed after moving ${moved}` +
        `${result.taskFailureReason ? `: ${result.taskFailureReason}` : ''}.`,
    );
  }
  if (result.skipped > 0) {
    lines.push(
      `Left ${formatCount(result.skipped)} message(s) with another reason than ${reason} in the dead-letter queue.`,
    );
  }
  if (result.failed > 0) {
    lines.push(
      `FAILED: ${formatCount(result.failed)} message(s) could not be moved and are still in the ` +
        'dead-letter queue; run the redrive again.',
    );
  }
  if (Object.keys(result.byReason).length > 0) {
    lines.push('Examined, by reason:', formatReasonTable(result.byReason));
  }
  return lines.join('\n');
}

/** Count per reason code, largest first. Reason codes never hold personal data; bodies do. */
export function formatReasonTable(byReason: Record<string, number>): string {
  const rows = Object.entries(byReason)
    .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b))
    .map(([reason, count]) => [
      reason === noFailureReason ? `${noFailureReason} (no FailureReason: max receives)` : reason,
      formatCount(count),
    ]);
  if (rows.length === 0) return '  (the dead-letter queue is empty)';
  const reasonWidth = Math.max('reason'.length, ...rows.map(([reason = '']) => reason.length));
  const countWidth = Math.max('messages'.length, ...rows.map(([, count = '']) => count.length));
  return [['reason', 'messages'], ...rows]
    .map(
      ([reason = '', count = '']) =>
        `  ${reason.padEnd(reasonWidth)}  ${count.padStart(countWidth)}`,
    )
    .join('\n');
}
