import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  type RecursiveLoop,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import {
  CustomDataIdentifier,
  DataIdentifier,
  DataProtectionPolicy,
  LogGroup,
  RetentionDays,
} from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { z } from 'zod';
import type { EnvironmentVariables } from '../src/config.ts';
import type { EnvironmentSettings } from './environment-settings.ts';

/** The repository root: entries and the lock file are resolved from here, not from the cwd. */
const repositoryRoot = new URL('../', import.meta.url);

/** Absolute path of a file in the repository, e.g. `lambdas/consumer/handler.ts`. */
export function repositoryPath(relativePath: string): string {
  return fileURLToPath(new URL(relativePath, repositoryRoot));
}

// esbuild's ESM output has no `require`; CommonJS dependencies bundled into it still call it.
const createRequireBanner =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

/** Properties of a {@link NodeFunction}. */
export interface NodeFunctionProps<Schema extends z.ZodObject> {
  /** Path of the handler file relative to the repository root, e.g. `lambdas/consumer/handler.ts`. */
  readonly entry: string;
  /**
   * Exported name of the handler in `entry`.
   * @default 'handler'
   */
  readonly handler?: string;
  /** The schema the function parses its environment with at cold start (see `src/config.ts`). */
  readonly environmentSchema: Schema;
  /**
   * The function's environment, typed from `environmentSchema`: a variable the function requires
   * cannot be forgotten here. Optional variables are listed as `undefined` to use their default.
   */
  readonly environment: EnvironmentVariables<Schema>;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** The environment's log level, and the removal policy of the log group. */
  readonly settings: Pick<EnvironmentSettings, 'logLevel' | 'removalPolicy'>;
  /**
   * The customer-managed key the function's log group is encrypted with. Required: logs carry
   * source ids, and a bug could one day log more, so no function logs in the clear. The key's
   * policy must let CloudWatch Logs use it (see `PipelineKey`).
   */
  readonly logEncryptionKey: IKey;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Lambda's recursive loop detection.
   * @default - Lambda's default: stop a detected loop
   */
  readonly recursiveLoop?: RecursiveLoop;
  /** @default - no description */
  readonly description?: string;
  /**
   * Node.js flags beside `--enable-source-maps` (e.g. heap sizing for a memory-bound function).
   * @default - none
   */
  readonly nodeFlags?: readonly string[];
}

/**
 * What CloudWatch Logs masks in the function's logs, should one ever carry it: the pipeline never
 * logs an email or a hash on purpose, and this is the net under that promise. Emails matter most
 * (an Auth0 SAML user's id can be one); bcrypt is the hash the Auth0 export carries.
 */
function personalDataProtectionPolicy(): DataProtectionPolicy {
  return new DataProtectionPolicy({
    name: 'mask-personal-data',
    description: 'Masks emails and bcrypt password hashes that reach the logs by mistake',
    identifiers: [
      DataIdentifier.EMAILADDRESS,
      new CustomDataIdentifier('BcryptPasswordHash', '\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}'),
    ],
  });
}

/**
 * A Lambda function built from TypeScript with the project's defaults: Node 24 on ARM64, an ESM
 * bundle with source maps, JSON logs at the environment's level, its own log group with a
 * retention period (`logGroup`), encrypted with the environment's key and masking personal data,
 * and its own role that may write only to that log group.
 */
export class NodeFunction<Schema extends z.ZodObject> extends NodejsFunction {
  /** Always set: the function never runs with an imported role or none. */
  declare readonly role: IRole;

  constructor(scope: Construct, id: string, props: NodeFunctionProps<Schema>) {
    // Created before the function so that retention and removal are ours, not Lambda's implicit
    // never-expiring group.
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
      dataProtectionPolicy: personalDataProtectionPolicy(),
      removalPolicy:
        props.settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    // Instead of the default role's AWSLambdaBasicExecutionRole, which may create any log group
    // and write to every one in the account: this function writes to its own group only.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(role);
    const { logLevel } = props.settings;
    super(scope, id, {
      role,
      entry: repositoryPath(props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      recursiveLoop: props.recursiveLoop,
      environment: {
        ...definedVariables(props.environmentSchema, props.environment),
        NODE_OPTIONS: ['--enable-source-maps', ...(props.nodeFlags ?? [])].join(' '),
      },
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[logLevel],
      // Lambda's own platform logs stop at WARN.
      systemLogLevelV2: logLevel === 'ERROR' ? SystemLogLevel.WARN : SystemLogLevel[logLevel],
      logGroup,
      depsLockFilePath: repositoryPath('package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: createRequireBanner,
        minify: true,
        sourceMap: true,
        // The runtime's AWS SDK v3 is used; the bundle carries only our code and other packages.
        bundleAwsSDK: false,
      },
    });
  }
}

/**
 * Drops unset variables (CDK rejects `undefined` values) and checks, at synth, every literal
 * value against the schema the function will parse it with. Deploy-time values (tokens) are
 * checked by the function itself at cold start.
 */
function definedVariables(
  schema: z.ZodObject,
  environment: Record<string, string | undefined>,
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined) continue;
    const variableSchema = schema.shape[name];
    if (variableSchema === undefined) {
      throw new Error(`Environment variable ${name} is not in the function's environment schema`);
    }
    if (!Token.isUnresolved(value)) {
      const result = variableSchema.safeParse(value);
      if (!result.success) {
        const problem = result.error.issues[0]?.message ?? 'invalid';
        // The value stays out of the message: a misplaced key must not end up in a CI log.
        throw new Error(`Environment variable ${name} is invalid: ${problem}`);
      }
    }
    variables[name] = value;
  }
  return variables;
}
