import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENVIRONMENT,
  selectEnvironment,
  stackNameFor,
} from '../../lib/app-environments.ts';
import { parseEnvironmentSettings } from '../../lib/environment-settings.ts';
import { ConfigError } from '../../src/errors.ts';
import { cdkJson } from './pipeline-template.ts';

const valid = { removalPolicy: 'destroy' };

describe('Function: parseEnvironmentSettings()', () => {
  it('applies the defaults to a minimal environment', () => {
    expect(parseEnvironmentSettings('dev', valid)).toEqual({
      targetWritesPerSecond: 48,
      consumerMaxConcurrency: 4,
      maxReceiveCount: 5,
      exportRetentionDays: 7,
      ledgerRetentionDays: 30,
      logLevel: 'INFO',
      removalPolicy: 'destroy',
    });
  });

  it('accepts the optional settings', () => {
    const settings = {
      ...valid,
      workosApiKeySecretName: 'workos/api-key',
      workosApiUrl: 'http://127.0.0.1:8080',
      alarmEmail: 'ops@example.com',
    };
    expect(parseEnvironmentSettings('dev', settings)).toMatchObject(settings);
  });

  describe.each([
    [
      'a rate above the WorkOS limit of 50 writes/s',
      { targetWritesPerSecond: 51 },
      'targetWritesPerSecond',
    ],
    ['a zero rate', { targetWritesPerSecond: 0 }, 'targetWritesPerSecond'],
    ['a rate given as a string', { targetWritesPerSecond: '45' }, 'targetWritesPerSecond'],
    [
      'a concurrency of 1 (Lambda allows 2–1000)',
      { consumerMaxConcurrency: 1 },
      'consumerMaxConcurrency',
    ],
    ['a concurrency above 1000', { consumerMaxConcurrency: 1001 }, 'consumerMaxConcurrency'],
    ['a fractional concurrency', { consumerMaxConcurrency: 2.5 }, 'consumerMaxConcurrency'],
    ['a maxReceiveCount below 5', { maxReceiveCount: 4 }, 'maxReceiveCount'],
    ['a retention of 0 days', { exportRetentionDays: 0 }, 'exportRetentionDays'],
    ['a ledger retention of 0 days', { ledgerRetentionDays: 0 }, 'ledgerRetentionDays'],
    ['a fractional ledger retention', { ledgerRetentionDays: 1.5 }, 'ledgerRetentionDays'],
    ['an unknown log level', { logLevel: 'TRACE' }, 'logLevel'],
    ['an unknown removal policy', { removalPolicy: 'snapshot' }, 'removalPolicy'],
    ['no removal policy', { removalPolicy: undefined }, 'removalPolicy'],
    ['an empty secret name', { workosApiKeySecretName: '' }, 'workosApiKeySecretName'],
    ['a WorkOS URL that is not a URL', { workosApiUrl: 'api.workos.com' }, 'workosApiUrl'],
    ['an alarm email that is not an address', { alarmEmail: 'ops' }, 'alarmEmail'],
    ['a misspelt setting', { maxRecieveCount: 10 }, 'maxRecieveCount'],
  ])('rejects %s', (_case, change, setting) => {
    const parse = () => parseEnvironmentSettings('prod', { ...valid, ...change });

    it('with a ConfigError naming the environment and the setting', () => {
      expect(parse).toThrow(ConfigError);
      expect(parse).toThrow(/environment "prod"/);
      expect(parse).toThrow(new RegExp(setting));
    });
  });

  it('rejects settings that are not an object', () => {
    expect(() => parseEnvironmentSettings('prod', 'fast')).toThrow(/environment "prod"/);
  });
});

describe('Function: selectEnvironment()', () => {
  const environments = {
    dev: { removalPolicy: 'destroy' },
    prod: { removalPolicy: 'retain', consumerMaxConcurrency: 8 },
  };

  it(`selects ${DEFAULT_ENVIRONMENT} when no env is given`, () => {
    expect(selectEnvironment({ environments }).name).toBe(DEFAULT_ENVIRONMENT);
  });

  it('selects the named environment with its parsed settings', () => {
    const selected = selectEnvironment({ env: 'prod', environments });
    expect(selected.name).toBe('prod');
    expect(selected.settings).toMatchObject({ removalPolicy: 'retain', consumerMaxConcurrency: 8 });
  });

  it.each([
    ['an unknown name', 'staging'],
    ['"all" (one environment per synth)', 'all'],
    ['an inherited property name', 'constructor'],
    ['a value that is not a name', 42],
  ])('rejects %s and lists the known environments', (_case, env) => {
    const select = () => selectEnvironment({ env, environments });
    expect(select).toThrow(ConfigError);
    expect(select).toThrow(/Known environments: dev, prod/);
  });

  it('names the environment whose settings are invalid', () => {
    const select = () =>
      selectEnvironment({ env: 'prod', environments: { prod: { removalPolicy: 'keep' } } });
    expect(select).toThrow(/environment "prod".*removalPolicy/);
  });

  it('rejects a name that cannot be part of a stack name', () => {
    const select = () =>
      selectEnvironment({ env: 'my_env', environments: { my_env: { removalPolicy: 'destroy' } } });
    expect(select).toThrow(/letters, digits and hyphens/);
  });

  it.each([undefined, null, [], 'dev'])(
    'explains that cdk.json must define the environments (got %j)',
    (value) => {
      expect(() => selectEnvironment({ env: 'dev', environments: value })).toThrow(
        /context\.environments/,
      );
    },
  );

  it('names the stack after the environment', () => {
    expect(stackNameFor('prod')).toBe('WorkosUserImport-prod');
  });
});

describe('cdk.json', () => {
  const names = Object.keys(cdkJson.context.environments);

  it('defines the default environment', () => {
    expect(names).toContain(DEFAULT_ENVIRONMENT);
  });

  it.each(names)('has valid settings for %s', (env) => {
    expect(() =>
      selectEnvironment({ env, environments: cdkJson.context.environments }),
    ).not.toThrow();
  });

  it('retains stateful resources in prod', () => {
    const { settings } = selectEnvironment({
      env: 'prod',
      environments: cdkJson.context.environments,
    });
    expect(settings.removalPolicy).toBe('retain');
  });
});
