import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { operatorLedger } from '../operations/operator-ledger.ts';
import { resumeImport } from '../operations/resume-import.ts';
import { readOperatorOutputs } from '../operations/stack-outputs.ts';
import { type CommandIo, runStackCommand } from './command-context.ts';

// Region and credentials come from the SDK's default chain, as with the AWS CLI.
const defaultClients = {
  dynamodb: new DynamoDBClient({}),
  cloudformation: new CloudFormationClient({}),
  lambda: new LambdaClient({}),
};

/** `migrate resume`: returns the exit code (0 resumed or nothing to do, 2 configuration errors). */
export async function runResumeCommand(
  jobIds: string[],
  options: { env: string },
  dependencies: typeof defaultClients & Omit<CommandIo, 'signal'> = defaultClients,
): Promise<number> {
  return runStackCommand(
    dependencies,
    { env: options.env, readOutputs: readOperatorOutputs, failureExitCode: 2 },
    async ({ out }, outputs) => {
      const result = await resumeImport({
        ledger: operatorLedger(dependencies.dynamodb, outputs.ledgerTableName),
        lambda: dependencies.lambda,
        consumerFunctionName: outputs.consumerFunctionName,
        jobIds,
      });
      out(
        `Resumed ${result.resumedJobs.length} halted job(s)${result.resumedJobs.length ? `: ${result.resumedJobs.join(', ')}` : ''}\n` +
          `Re-enabled ${result.enabledEventSources.length} consumer event source(s)\n`,
      );
      return 0;
    },
  );
}
