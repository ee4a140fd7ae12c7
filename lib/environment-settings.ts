import { z } from 'zod';
import { parseConfig } from '../src/config.ts';

/**
 * WorkOS allows 500 user-management writes per 10 s per environment. The target rate is shared by
 * every consumer instance, so it can never usefully exceed this.
 */
export const WORKOS_MAX_WRITES_PER_SECOND = 50;

/**
 * One deployment environment's settings, as written under `context.environments.<name>` in
 * `cdk.json`. Unknown keys are rejected so that a misspelt setting fails the synth instead of
 * silently falling back to its default.
 */
export const environmentSettingsSchema = z.strictObject({
  /**
   * WorkOS writes per second for the whole environment, shared by all concurrent consumers.
   * 48 is 96 % of WorkOS's 50: the pacer spaces writes evenly, so the margin only has to cover
   * clock drift between consumer instances. Lower it while something else writes to the
   * environment (a live app during a dual-run).
   * @default 48
   */
  targetWritesPerSecond: z.number().positive().max(WORKOS_MAX_WRITES_PER_SECOND).default(48),
  /**
   * The SQS event source's `maxConcurrency`: how many consumer instances run at once. Lambda
   * accepts 2–1000.
   * @default 4
   */
  consumerMaxConcurrency: z.number().int().min(2).max(1000).default(4),
  /**
   * Receives before SQS moves a message to the dead-letter queue. AWS advises at least 5 so that
   * throttled invocations alone do not dead-letter healthy messages.
   * @default 5
   */
  maxReceiveCount: z.number().int().min(5).max(1000).default(5),
  /**
   * Days an uploaded export (and a report) stays in the bucket. Exports hold password hashes, so
   * keep this short; a deleted or replaced version lingers one more day.
   * @default 7
   */
  exportRetentionDays: z.number().int().min(1).default(7),
  /**
   * Days the migration ledger keeps a job and its record outcomes before DynamoDB's TTL deletes
   * them. The ledger holds ids and reason codes, no hashes or emails, so it may outlive the
   * exports: operators still read a job's outcomes after its export has expired.
   * @default 30
   */
  ledgerRetentionDays: z.number().int().min(1).default(30),
  /**
   * Lambda application log level (Powertools follows it). The system log level is the same,
   * except ERROR, which Lambda's system logs do not offer, becomes WARN.
   * @default 'INFO'
   */
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /**
   * What happens to the bucket, queues, ledger table, secret and log groups when the stack is
   * deleted; 'retain' also turns on the ledger table's deletion protection. No default: every
   * environment states it deliberately.
   */
  removalPolicy: z.enum(['retain', 'destroy']),
  /**
   * Name of an existing Secrets Manager secret holding the WorkOS API key.
   * @default - the stack creates an empty secret; put the key with `aws secretsmanager put-secret-value`
   */
  workosApiKeySecretName: z.string().min(1).optional(),
  /**
   * Base URL of the WorkOS API, for a proxy or an emulator.
   * @default - the consumer uses https://api.workos.com
   */
  workosApiUrl: z.url().optional(),
  /**
   * An alias for the environment's KMS key (with or without the `alias/` prefix), so operators
   * can name it in commands and policies. Must be unique in the account and region.
   * @default - no alias; the key's ARN is the `DataKeyArn` stack output
   */
  keyAlias: z
    .string()
    .regex(
      /^(alias\/)?(?!aws\/)[A-Za-z0-9/_-]{1,200}$/,
      'a KMS alias: letters, digits, "/", "_" and "-", not under "aws/"',
    )
    .optional(),
  /**
   * Address subscribed to the alarm topic.
   * @default - no subscription; subscribe to the topic some other way
   */
  alarmEmail: z.email().optional(),
});

/** One environment's settings, with defaults applied. */
export type EnvironmentSettings = z.infer<typeof environmentSettingsSchema>;

/**
 * Validates one environment's raw settings, applying defaults. Throws a `ConfigError` whose single
 * message names the environment and every problem.
 */
export function parseEnvironmentSettings(name: string, raw: unknown): EnvironmentSettings {
  return parseConfig(
    environmentSettingsSchema,
    raw as Record<string, string | undefined>,
    `settings for environment "${name}" (cdk.json context.environments.${name})`,
  );
}
