import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import cliProgress from 'cli-progress';
import { recordStatuses } from '../model/outcome.ts';
import { summarizeJob } from '../operations/job-status.ts';
import { formatCount } from '../operations/operator-console.ts';
import { operatorLedger } from '../operations/operator-ledger.ts';
import {
  ReportFileExistsError,
  type WrittenOutcomeReport,
  writeOutcomeReportFile,
} from '../operations/outcome-report-file.ts';
import { readOperatorOutputs } from '../operations/stack-outputs.ts';
import { type CommandIo, runStackCommand } from './command-context.ts';

// Region, credentials and AWS_ENDPOINT_URL come from the SDK's default chain (AWS_PROFILE,
// AWS_REGION, SSO, instance roles), as with the AWS CLI. Clients resolve them on first use.
const defaultClients = {
  dynamodb: new DynamoDBClient({}),
  cloudformation: new CloudFormationClient({}),
};

export interface ReportCommandOptions {
  env: string;
  out: string;
  force: boolean;
}

export interface ReportCommandDependencies extends Omit<CommandIo, 'signal'> {
  dynamodb: DynamoDBClient;
  cloudformation: CloudFormationClient;
  /** A progress bar on stderr. @default stderr is a TTY */
  tty?: boolean;
}

/**
 * `migrate report`: writes a job's per-record outcomes from the ledger to a CSV file. Returns the
 * exit code: 0 written, 1 the job is not in the ledger, the file exists (without --force) or the
 * write failed, 2 usage or configuration errors.
 */
export async function runReportCommand(
  jobId: string,
  options: ReportCommandOptions,
  dependencies: ReportCommandDependencies = defaultClients,
): Promise<number> {
  const { dynamodb } = dependencies;
  const tty = dependencies.tty ?? process.stderr.isTTY === true;
  return runStackCommand(
    dependencies,
    { env: options.env, readOutputs: readOperatorOutputs, failureExitCode: 1 },
    async ({ out, err }, outputs) => {
      const ledger = operatorLedger(dynamodb, outputs.ledgerTableName);
      let bar: cliProgress.SingleBar | undefined;
      try {
        const job = await ledger.getJob(jobId);
        if (job === undefined) {
          err(
            `Error: no job ${jobId} in the ledger of ${outputs.stackName}. ` +
              `List the jobs with \`npm run migrate -- status --env ${options.env}\`.\n`,
          );
          return 1;
        }
        const summary = summarizeJob(job);
        if (tty) {
          bar = new cliProgress.SingleBar(
            { format: '  rows [{bar}] {percentage}% | {value} of {total}', stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(summary.read, 1), 0);
        }
        let written: WrittenOutcomeReport;
        try {
          written = await writeOutcomeReportFile({
            ledger,
            jobId,
            path: options.out,
            overwrite: options.force,
            ...(bar ? { onRows: (rows: number) => bar?.update(rows) } : {}),
          });
        } finally {
          bar?.stop();
        }

        const statuses = recordStatuses
          .filter((status) => written.byStatus[status] > 0)
          .map((status) => `${status} ${formatCount(written.byStatus[status])}`);
        out(
          `Wrote ${formatCount(written.rows)} row(s) to ${options.out}` +
            `${statuses.length > 0 ? ` (${statuses.join(', ')})` : ''}.\n`,
        );
        const withoutRow = summary.read - written.rows;
        if (summary.state === 'splitting' || withoutRow > 0) {
          out(
            `Job ${jobId} is ${summary.state.replaceAll('_', ' ')}: ` +
              `${formatCount(Math.max(0, withoutRow))} of the ${formatCount(summary.read)} record(s) read ` +
              'have no outcome yet; run the report again once `status` says completed.\n',
          );
        }
        return 0;
      } catch (error) {
        if (!(error instanceof ReportFileExistsError)) throw error;
        err(`Error: ${error.path} already exists; pass --force to overwrite it.\n`);
        return 1;
      }
    },
  );
}
