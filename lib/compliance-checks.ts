import { type Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Runs the AWS Solutions rules (cdk-nag) on every synth of `app`, `cdk synth` and `cdk deploy`
 * included: an unacknowledged finding fails the synth. Findings that are accepted rather than
 * fixed are acknowledged next to the resource they concern, each with its reason
 * (`Validations.of(scope).acknowledge`).
 */
export function addComplianceChecks(app: Stage): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * Accepts a cdk-nag finding on `scope` and everything under it, with the reason it is not fixed.
 * Every acknowledgement is listed in `test/infra/cdk-nag.test.ts`, so a new one is a reviewed
 * change rather than a quiet one.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
