/**
 * The CDK app: one stack, `WorkosUserImport-<env>`, for the environment chosen with
 * `-c env=<name>` (default `dev`) from `cdk.json` → `context.environments`.
 *
 * One environment per invocation, on purpose: there is no `-c env=all`. Each environment is
 * deployed, diffed and destroyed on its own (`npx cdk deploy -c env=prod`), so a command meant for
 * dev can never touch prod.
 *
 * This is the only file that reads context. The stack is environment-agnostic: it deploys to the
 * account and region of the credentials the CLI runs with, and synthesizes offline. Every synth
 * runs the cdk-nag AWS Solutions checks and fails on a finding nobody acknowledged.
 */
import { App } from 'aws-cdk-lib';
import {
  type SelectedEnvironment,
  selectEnvironment,
  stackNameFor,
} from '../lib/app-environments.ts';
import { addComplianceChecks } from '../lib/compliance-checks.ts';
import { ImportPipelineStack } from '../lib/import-pipeline-stack.ts';
import { ConfigError } from '../src/errors.ts';

const app = new App();
// The same checks as test/infra/cdk-nag.test.ts, so `cdk synth` and `cdk deploy` refuse an
// unacknowledged finding too.
addComplianceChecks(app);

let selected: SelectedEnvironment;
try {
  selected = selectEnvironment({
    env: app.node.tryGetContext('env'),
    environments: app.node.tryGetContext('environments'),
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One line for the operator instead of a stack trace.
  console.error(error.message);
  process.exit(1);
}

new ImportPipelineStack(app, stackNameFor(selected.name), {
  settings: selected.settings,
  description: `Imports users from identity-provider exports into WorkOS (${selected.name})`,
  tags: { application: 'workos-user-import', environment: selected.name },
});
