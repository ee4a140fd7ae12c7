import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  type DeadLetterSummary,
  redriveReasonFor,
  summarizeDeadLetters,
} from '../operations/dead-letter-summary.ts';
import { formatCount } from '../operations/operator-console.ts';
import { readStackOutputs } from '../operations/stack-outputs.ts';
import { type CommandIo, runStackCommand } from './command-context.ts';

// Region, credentials and AWS_ENDPOINT_URL come from the SDK's default chain (AWS_PROFILE,
// AWS_REGION, SSO, instance roles), as with the AWS CLI. Clients resolve them on first use.
const defaultClients = { sqs: new SQSClient({}), cloudformation: new CloudFormationClient({}) };

export interface DlqCommandOptions {
  env: string;
  json: boolean;
  examples: number;
}

/** `signal` stops the scan (messages read so far are made visible again). */
export interface DlqCommandDependencies extends CommandIo {
  sqs: SQSClient;
  cloudformation: CloudFormationClient;
  /** Long-poll wait of each receive, in seconds. */
  receiveWaitSeconds?: number;
}

/**
 * `migrate dlq`: the dead-letter queue grouped by failure reason, with counts and example source
 * ids, moving nothing. Returns the exit code: 0 listed, 1 interrupted or AWS failed, 2 usage or
 * configuration errors.
 */
export async function runDlqCommand(
  options: DlqCommandOptions,
  dependencies: DlqCommandDependencies = defaultClients,
): Promise<number> {
  const { sqs } = dependencies;
  return runStackCommand(
    dependencies,
    { env: options.env, readOutputs: readStackOutputs, interrupt: true, failureExitCode: 1 },
    async ({ out, err, signal }, outputs) => {
      err(
        `Reading the dead-letter queue of ${outputs.stackName} ` +
          '(each message is hidden while it is read, then made visible again; nothing is removed)\n',
      );
      const summary = await summarizeDeadLetters({
        sqs,
        deadLetterQueueUrl: outputs.deadLetterQueueUrl,
        examplesPerReason: options.examples,
        ...(signal ? { signal } : {}),
        ...(dependencies.receiveWaitSeconds !== undefined
          ? { receiveWaitSeconds: dependencies.receiveWaitSeconds }
          : {}),
      });
      out(
        `${options.json ? JSON.stringify(summary) : formatDeadLetterSummary(summary, options.env)}\n`,
      );
      return summary.partial ? 1 : 0;
    },
  );
}

/** Reasons, counts and example source ids as an aligned table, and how to redrive each. */
export function formatDeadLetterSummary(summary: DeadLetterSummary, environment: string): string {
  if (summary.total === 0) {
    return summary.partial
      ? 'Interrupted before any message was read.'
      : 'The dead-letter queue is empty.';
  }
  const rows = summary.reasons.map((entry) => [
    entry.reason,
    formatCount(entry.messages),
    entry.exampleSourceIds.join(', '),
  ]);
  const header = ['reason', 'messages', 'example source ids'];
  const reasonWidth = Math.max(...[header, ...rows].map(([reason = '']) => reason.length));
  const countWidth = Math.max(...[header, ...rows].map(([, count = '']) => count.length));
  const lines = [header, ...rows].map(([reason = '', count = '', examples = '']) =>
    `  ${reason.padEnd(reasonWidth)}  ${count.padStart(countWidth)}  ${examples}`.trimEnd(),
  );
  return [
    ...lines,
    '',
    `${summary.partial ? 'Interrupted: read' : 'Read'} ${formatCount(summary.total)} message(s); none was removed.`,
    'Find a record with its source id in `npm run migrate -- report <job> ...`; once its cause is fixed, redrive one reason:',
    ...summary.reasons.map(
      (entry) =>
        `  npm run migrate -- redrive --env ${environment} --reason ${redriveReasonFor(entry.reason)}`,
    ),
  ].join('\n');
}
