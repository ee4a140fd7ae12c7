import { ConfigError } from '../src/errors.ts';
import { type EnvironmentSettings, parseEnvironmentSettings } from './environment-settings.ts';

/** The environment synthesized when `-c env=<name>` is not given. */
export const DEFAULT_ENVIRONMENT = 'dev';

/** The CDK context values that choose and describe the environment. */
export interface EnvironmentContext {
  /** `-c env=<name>`. @default - {@link DEFAULT_ENVIRONMENT} */
  readonly env?: unknown;
  /** `context.environments` from `cdk.json`: settings keyed by environment name. */
  readonly environments?: unknown;
}

/** The environment one synth deploys. */
export interface SelectedEnvironment {
  readonly name: string;
  readonly settings: EnvironmentSettings;
}

// Becomes part of the stack name, which CloudFormation limits to letters, digits and hyphens.
const environmentNamePattern = /^[A-Za-z][A-Za-z0-9-]*$/;

/**
 * Picks the one environment a synth is for and validates its settings. Throws a `ConfigError`
 * with a message an operator can act on: the unknown name and the known ones, or the invalid
 * settings.
 */
export function selectEnvironment(context: EnvironmentContext): SelectedEnvironment {
  const { environments } = context;
  if (typeof environments !== 'object' || environments === null || Array.isArray(environments)) {
    throw new ConfigError(
      'cdk.json must define context.environments: an object of settings keyed by environment name',
    );
  }
  const known = Object.keys(environments);
  const name = context.env ?? DEFAULT_ENVIRONMENT;
  // Own keys only, so that `-c env=constructor` cannot pick up an inherited property.
  if (typeof name !== 'string' || !Object.hasOwn(environments, name)) {
    throw new ConfigError(
      `Unknown environment ${JSON.stringify(name)}. Known environments: ${known.join(', ')}. ` +
        'Choose one with -c env=<name>.',
    );
  }
  if (!environmentNamePattern.test(name)) {
    throw new ConfigError(
      `Environment name "${name}" must start with a letter and contain only letters, digits and hyphens (it becomes part of the stack name)`,
    );
  }
  const settings = parseEnvironmentSettings(name, (environments as Record<string, unknown>)[name]);
  return { name, settings };
}

/** The stack name of an environment: one stack per environment, per account and region. */
export function stackNameFor(environmentName: string): string {
  return `WorkosUserImport-${environmentName}`;
}
