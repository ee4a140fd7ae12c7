import { type Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs the AWS Solutions rules (cdk-nag) on every synth of `app`, `cdk synth` and `cdk deploy`
 * included: an unacknowledged finding fails the synth. Findings that are accepted rather than
 * fixed are acknowledged next to the resource they concern, each with its reason
 * (`Validations.of(scope).acknowledge`).
 */
export function addComplianceChecks(app: Stage): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
