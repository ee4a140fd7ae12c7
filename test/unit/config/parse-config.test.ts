import { describe, expect, it } from 'vitest';
import {
  consumerEnvironmentSchema,
  parseConfig,
  splitterEnvironmentSchema,
} from '../../../src/config.ts';
import { ConfigError } from '../../../src/errors.ts';

const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/users';
const deadLetterQueueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq';

/** The variables the consumer cannot do without. */
const requiredConsumerEnvironment = {
  USER_QUEUE_URL: queueUrl,
  LEDGER_TABLE_NAME: 'ledger',
  DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
  WORKOS_API_KEY_SECRET_ID: 'workos-user-import/api-key',
};

function configErrorOf(parse: () => unknown): ConfigError {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration parsed');
}

describe('Function: parseConfig()', () => {
  describe('with consumerEnvironmentSchema', () => {
    it('fills every optional variable with its default', () => {
      // Act
      const config = parseConfig(consumerEnvironmentSchema, requiredConsumerEnvironment);

      // Assess
      expect(config).toEqual({
        ...requiredConsumerEnvironment,
        LEDGER_RETENTION_DAYS: 30,
        WORKOS_API_URL: 'https://api.workos.com',
        TARGET_WRITES_PER_SECOND: 48,
        CONSUMER_MAX_CONCURRENCY: 4,
        MAX_RECEIVE_COUNT: 5,
        WORKOS_TIMEOUT_MS: 10_000,
      });
    });

    it('coerces numeric variables from their string form', () => {
      // Prepare
      const env = {
        ...requiredConsumerEnvironment,
        WORKOS_API_URL: 'http://localhost:8787',
        TARGET_WRITES_PER_SECOND: '12.5',
        CONSUMER_MAX_CONCURRENCY: '2',
        MAX_RECEIVE_COUNT: '8',
        WORKOS_TIMEOUT_MS: ' 2500 ',
      };

      // Act
      const config = parseConfig(consumerEnvironmentSchema, env);

      // Assess
      expect(config).toMatchObject({
        WORKOS_API_URL: 'http://localhost:8787',
        TARGET_WRITES_PER_SECOND: 12.5,
        CONSUMER_MAX_CONCURRENCY: 2,
        MAX_RECEIVE_COUNT: 8,
        WORKOS_TIMEOUT_MS: 2500,
      });
    });

    it('ignores variables it does not know', () => {
      // Prepare
      const env = { ...requiredConsumerEnvironment, AWS_REGION: 'eu-west-1', PATH: '/usr/bin' };

      // Act
      const config = parseConfig(consumerEnvironmentSchema, env);

      // Assess
      expect(config).not.toHaveProperty('AWS_REGION');
      expect(config).not.toHaveProperty('PATH');
    });

    it.each([
      { variable: 'USER_QUEUE_URL', value: undefined },
      { variable: 'USER_QUEUE_URL', value: 'not a url' },
      { variable: 'DEAD_LETTER_QUEUE_URL', value: undefined },
      { variable: 'WORKOS_API_KEY_SECRET_ID', value: undefined },
      { variable: 'WORKOS_API_KEY_SECRET_ID', value: '' },
      { variable: 'WORKOS_API_URL', value: 'api.workos.com' },
      { variable: 'TARGET_WRITES_PER_SECOND', value: 'fast' },
      { variable: 'TARGET_WRITES_PER_SECOND', value: '0' },
      { variable: 'TARGET_WRITES_PER_SECOND', value: '-5' },
      { variable: 'TARGET_WRITES_PER_SECOND', value: 'Infinity' },
      { variable: 'CONSUMER_MAX_CONCURRENCY', value: '2.5' },
      { variable: 'CONSUMER_MAX_CONCURRENCY', value: '0' },
      { variable: 'MAX_RECEIVE_COUNT', value: 'five' },
      { variable: 'WORKOS_TIMEOUT_MS', value: '-1' },
    ])('throws a ConfigError naming $variable when it is $value', ({ variable, value }) => {
      // Prepare
      const env = { ...requiredConsumerEnvironment, [variable]: value };

      // Act
      const error = configErrorOf(() => parseConfig(consumerEnvironmentSchema, env));

      // Assess
      expect(error.message).toMatch(/^Invalid environment: /);
      expect(error.message).toContain(`${variable}: `);
    });

    it('names every bad variable in one message', () => {
      // Prepare
      const env = {
        USER_QUEUE_URL: 'not a url',
        WORKOS_API_KEY_SECRET_ID: '',
        TARGET_WRITES_PER_SECOND: 'fast',
        CONSUMER_MAX_CONCURRENCY: '1.5',
        WORKOS_TIMEOUT_MS: '0',
      };

      // Act
      const error = configErrorOf(() => parseConfig(consumerEnvironmentSchema, env));

      // Assess
      const named = error.message
        .replace(/^Invalid environment: /, '')
        .split('; ')
        .map((problem) => problem.split(':')[0]);
      expect(named.sort()).toEqual(
        [
          'CONSUMER_MAX_CONCURRENCY',
          'DEAD_LETTER_QUEUE_URL',
          'LEDGER_TABLE_NAME',
          'TARGET_WRITES_PER_SECOND',
          'USER_QUEUE_URL',
          'WORKOS_API_KEY_SECRET_ID',
          'WORKOS_TIMEOUT_MS',
        ].sort(),
      );
    });

    it('names what is being configured in the message', () => {
      // Act
      const error = configErrorOf(() =>
        parseConfig(consumerEnvironmentSchema, {}, 'consumer environment'),
      );

      // Assess
      expect(error.message).toMatch(/^Invalid consumer environment: /);
      expect(error.name).toBe('ConfigError');
    });
  });

  describe('with splitterEnvironmentSchema', () => {
    it('fills every optional variable with its default', () => {
      // Act
      const config = parseConfig(splitterEnvironmentSchema, {
        USER_QUEUE_URL: queueUrl,
        LEDGER_TABLE_NAME: 'ledger',
        WORKOS_API_KEY_SECRET_ID: 'workos/api-key',
      });

      // Assess
      expect(config).toEqual({
        USER_QUEUE_URL: queueUrl,
        LEDGER_TABLE_NAME: 'ledger',
        LEDGER_RETENTION_DAYS: 30,
        REPORT_PREFIX: 'reports/',
        EXPORT_PREFIX: 'exports/',
        JOB_PREFIX: 'jobs/',
        SNAPSHOT_PREFIX: 'snapshots/',
        WORKOS_API_KEY_SECRET_ID: 'workos/api-key',
        WORKOS_API_URL: 'https://api.workos.com',
        WORKOS_TIMEOUT_MS: 10_000,
      });
    });

    it('keeps the values it is given', () => {
      // Prepare
      const env = {
        USER_QUEUE_URL: queueUrl,
        LEDGER_TABLE_NAME: 'ledger',
        LEDGER_RETENTION_DAYS: '90',
        REPORT_PREFIX: 'runs/2025/',
        EXPORT_PREFIX: 'uploads/',
        JOB_PREFIX: 'uploads-of-several-files/',
        SNAPSHOT_PREFIX: 'workos-listings/',
        WORKOS_API_KEY_SECRET_ID: 'workos/api-key',
        WORKOS_API_URL: 'http://127.0.0.1:8787',
        WORKOS_TIMEOUT_MS: '2500',
      };

      // Act
      const config = parseConfig(splitterEnvironmentSchema, env);

      // Assess
      expect(config).toEqual({ ...env, LEDGER_RETENTION_DAYS: 90, WORKOS_TIMEOUT_MS: 2500 });
    });

    it.each([
      { variable: 'USER_QUEUE_URL', env: {} },
      { variable: 'USER_QUEUE_URL', env: { USER_QUEUE_URL: 'queue' } },
      {
        variable: 'LEDGER_RETENTION_DAYS',
        env: {
          USER_QUEUE_URL: queueUrl,
          LEDGER_TABLE_NAME: 'ledger',
          LEDGER_RETENTION_DAYS: 'forever',
        },
      },
      {
        variable: 'LEDGER_TABLE_NAME',
        env: { USER_QUEUE_URL: queueUrl },
      },
      {
        // The split lists WorkOS first: a splitter that cannot reach it must not start.
        variable: 'WORKOS_API_KEY_SECRET_ID',
        env: { USER_QUEUE_URL: queueUrl, LEDGER_TABLE_NAME: 'ledger' },
      },
    ])('throws a ConfigError naming $variable for $env', ({ variable, env }) => {
      // Act
      const error = configErrorOf(() => parseConfig(splitterEnvironmentSchema, env));

      // Assess
      expect(error.message).toContain(`${variable}: `);
    });
  });
});
