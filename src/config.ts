import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { EXPORT_PREFIX, JOB_PREFIX, REPORT_PREFIX, SNAPSHOT_PREFIX } from './model/key-prefixes.ts';

const positiveNumber = z.coerce.number().positive();
const positiveInt = z.coerce.number().int().positive();

/**
 * Where WorkOS lives. The real API by default; the emulator or a proxy in tests and dry runs.
 */
export const workosApiUrlSchema = z.url().default('https://api.workos.com');

/** How a Lambda reaches WorkOS: the secret holding the API key (never the key), and the API. */
const workosConnectionSchema = z.object({
  /** Name or ARN of the Secrets Manager secret holding the WorkOS API key (never the key). */
  WORKOS_API_KEY_SECRET_ID: z.string().min(1),
  WORKOS_API_URL: workosApiUrlSchema,
  /** Per-attempt timeout of a WorkOS call. */
  WORKOS_TIMEOUT_MS: positiveInt.default(10_000),
});
export type WorkOsConnectionConfig = z.infer<typeof workosConnectionSchema>;

/** Environment of the splitter Lambda. The CDK construct types its `environment` from this. */
export const splitterEnvironmentSchema = z.object({
  USER_QUEUE_URL: z.url(),
  /** The migration ledger's DynamoDB table. */
  LEDGER_TABLE_NAME: z.string().min(1),
  /** Days the ledger keeps a job's entries (DynamoDB TTL). */
  LEDGER_RETENTION_DAYS: positiveInt.default(30),
  /** Prefix in the export bucket under which per-job reports (rejections) are written. */
  REPORT_PREFIX: z.string().default(REPORT_PREFIX),
  /**
   * Prefix under which one upload is one job; its first folder may name the source
   * (`exports/firebase/users.json`).
   */
  EXPORT_PREFIX: z.string().default(EXPORT_PREFIX),
  /** Prefix of jobs of several files: `<JOB_PREFIX><name>/manifest.json` and the files beside it. */
  JOB_PREFIX: z.string().default(JOB_PREFIX),
  /** Prefix under which each job's snapshot of the WorkOS environment is kept. */
  SNAPSHOT_PREFIX: z.string().default(SNAPSHOT_PREFIX),
  /** The split lists the environment's users first, to diff the export against them. */
  ...workosConnectionSchema.shape,
});
export type SplitterConfig = z.infer<typeof splitterEnvironmentSchema>;

/** Environment of the consumer Lambda. */
export const consumerEnvironmentSchema = z.object({
  USER_QUEUE_URL: z.url(),
  /** The migration ledger's DynamoDB table. */
  LEDGER_TABLE_NAME: z.string().min(1),
  LEDGER_RETENTION_DAYS: positiveInt.default(30),
  DEAD_LETTER_QUEUE_URL: z.url(),
  ...workosConnectionSchema.shape,
  /** Writes per second for the whole environment, shared by all concurrent consumers. */
  TARGET_WRITES_PER_SECOND: positiveNumber.default(48),
  /** Matches the event source's `maxConcurrency`: each instance paces at rate / concurrency. */
  CONSUMER_MAX_CONCURRENCY: positiveInt.default(4),
  /** Matches the queue's redrive `maxReceiveCount`: the last receive dead-letters with a reason. */
  MAX_RECEIVE_COUNT: positiveInt.default(5),
});
export type ConsumerConfig = z.infer<typeof consumerEnvironmentSchema>;

type KeysOf<T> = T extends unknown ? keyof T : never;

/**
 * The variables a Lambda's environment sets: the schema's input keys, as strings; those with a
 * default may be `undefined`. The keys go through a conditional type on purpose: a homomorphic
 * mapping with `-?` would also strip `undefined` and so demand a value for every default.
 */
export type EnvironmentVariables<Schema extends z.ZodObject> = {
  [Key in KeysOf<z.input<Schema>>]: undefined extends z.input<Schema>[Key]
    ? string | undefined
    : string;
};

/**
 * Parses configuration once, at cold start or command start, and fails with one message that
 * names every problem.
 */
export function parseConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
  what = 'environment',
): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new ConfigError(`Invalid ${what}: ${problems}`);
}
