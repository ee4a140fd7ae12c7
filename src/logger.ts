import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger. Messages are constant strings; data goes in fields. Never log an
 * email, a name, a password hash or a key: source ids, job ids, counts and reason codes only.
 */
export const logger = new Logger({ serviceName: 'workos-user-import' });

/** The logging surface domain code needs; tests and the CLI can pass a quieter one. */
export type PipelineLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
