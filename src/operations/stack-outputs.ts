import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import { z } from 'zod';
import { stackNameFor } from '../../lib/app-environments.ts';
import { ConfigError } from '../errors.ts';
import { JOB_PREFIX } from '../model/key-prefixes.ts';

/**
 * The outputs `ImportPipelineStack` declares, by their CloudFormation names. Operator commands
 * read these instead of asking for queue URLs, so a command can only ever act on the queues of the
 * environment it was given.
 */
const stackOutputsSchema = z.object({
  ExportBucketName: z.string().min(1),
  ExportPrefix: z.string().min(1),
  // Stacks deployed before jobs of several files lack it; their splitter reads the same default.
  JobPrefix: z.string().min(1).default(JOB_PREFIX),
  UserQueueUrl: z.url(),
  UserQueueArn: z.string().startsWith('arn:'),
  DeadLetterQueueUrl: z.url(),
  DeadLetterQueueArn: z.string().startsWith('arn:'),
  WorkosApiKeySecretArn: z.string().startsWith('arn:'),
  SplitterFailureQueueUrl: z.url(),
});

/** One environment's deployed resources, as the operator commands use them. */
export interface PipelineOutputs {
  stackName: string;
  exportBucketName: string;
  exportPrefix: string;
  /** Where a job of several files goes: `<jobPrefix><job-name>/`, its manifest last. */
  jobPrefix: string;
  userQueueUrl: string;
  userQueueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  workosApiKeySecretArn: string;
  splitterFailureQueueUrl: string;
}

/**
 * Reads the outputs of the environment's stack (`WorkosUserImport-<environment>`). Throws a
 * `ConfigError` an operator can act on when the stack is not deployed, or was deployed by a
 * version of the app that lacked some outputs.
 */
export async function readStackOutputs(
  cloudformation: CloudFormationClient,
  environment: string,
): Promise<PipelineOutputs> {
  const { stackName, outputs } = await parsedOutputs(
    cloudformation,
    environment,
    stackOutputsSchema,
  );
  return pipelineOutputsOf(stackName, outputs);
}

function pipelineOutputsOf(
  stackName: string,
  outputs: z.infer<typeof stackOutputsSchema>,
): PipelineOutputs {
  return {
    stackName,
    exportBucketName: outputs.ExportBucketName,
    exportPrefix: outputs.ExportPrefix,
    jobPrefix: outputs.JobPrefix,
    userQueueUrl: outputs.UserQueueUrl,
    userQueueArn: outputs.UserQueueArn,
    deadLetterQueueUrl: outputs.DeadLetterQueueUrl,
    deadLetterQueueArn: outputs.DeadLetterQueueArn,
    workosApiKeySecretArn: outputs.WorkosApiKeySecretArn,
    splitterFailureQueueUrl: outputs.SplitterFailureQueueUrl,
  };
}

/**
 * The environment's stack outputs, checked against `schema`. Throws a `ConfigError` an operator
 * can act on, naming every output a stack deployed by an older version of the app lacks.
 */
async function parsedOutputs<Schema extends z.ZodType>(
  cloudformation: CloudFormationClient,
  environment: string,
  schema: Schema,
): Promise<{ stackName: string; outputs: z.infer<Schema> }> {
  const stackName = stackNameFor(environment);
  const stack = await describeStack(cloudformation, stackName, environment);
  const parsed = schema.safeParse(outputsByKey(stack.Outputs ?? []));
  if (parsed.success) return { stackName, outputs: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '?');
    return issue.code === 'invalid_type' ? `${key} (missing)` : `${key} (${issue.message})`;
  });
  throw new ConfigError(
    `Stack ${stackName} (status ${stack.StackStatus ?? 'unknown'}) lacks usable outputs: ` +
      `${problems.join(', ')}. Deploy the current version with ` +
      `\`npm run cdk -- deploy -c env=${environment}\`.`,
  );
}

async function describeStack(
  cloudformation: CloudFormationClient,
  stackName: string,
  environment: string,
) {
  const notFound = () =>
    new ConfigError(
      `Stack ${stackName} not found in this account and region — deploy it with ` +
        `\`npm run cdk -- deploy -c env=${environment}\` (or check AWS_PROFILE and AWS_REGION).`,
    );
  try {
    const { Stacks = [] } = await cloudformation.send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    const stack = Stacks[0];
    if (!stack) throw notFound();
    return stack;
  } catch (error) {
    // CloudFormation has no dedicated not-found error: a missing stack is a ValidationError.
    if (
      error instanceof Error &&
      error.name === 'ValidationError' &&
      /does not exist/i.test(error.message)
    ) {
      throw notFound();
    }
    throw error;
  }
}

function outputsByKey(outputs: Output[]): Record<string, string> {
  const byKey: Record<string, string> = {};
  for (const { OutputKey, OutputValue } of outputs) {
    if (OutputKey && OutputValue !== undefined) byKey[OutputKey] = OutputValue;
  }
  return byKey;
}

/**
 * The further outputs the operator commands (`upload`, `status`, `report`, `dlq`) read besides
 * the queues: the ledger table, and the functions the runbook names.
 */
const operatorOutputsSchema = stackOutputsSchema.extend({
  LedgerTableName: z.string().min(1),
  ConsumerFunctionName: z.string().min(1),
  SplitterFunctionName: z.string().min(1),
});

/** One environment's deployed resources, with the ledger and the functions. */
export interface OperatorOutputs extends PipelineOutputs {
  ledgerTableName: string;
  consumerFunctionName: string;
  splitterFunctionName: string;
}

/**
 * {@link readStackOutputs} plus the ledger table and the function names, from one
 * DescribeStacks call. Throws the same actionable `ConfigError`s, naming any output that a stack
 * deployed by an older version of the app lacks.
 */
export async function readOperatorOutputs(
  cloudformation: CloudFormationClient,
  environment: string,
): Promise<OperatorOutputs> {
  const { stackName, outputs } = await parsedOutputs(
    cloudformation,
    environment,
    operatorOutputsSchema,
  );
  return {
    ...pipelineOutputsOf(stackName, outputs),
    ledgerTableName: outputs.LedgerTableName,
    consumerFunctionName: outputs.ConsumerFunctionName,
    splitterFunctionName: outputs.SplitterFunctionName,
  };
}
