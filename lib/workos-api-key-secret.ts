import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from './compliance-checks.ts';
import type { EnvironmentSettings } from './environment-settings.ts';

/** Properties of {@link addWorkosApiKeySecret}. */
export interface WorkosApiKeySecretProps {
  /** `workosApiKeySecretName`: an existing secret to use instead of creating one. */
  readonly settings: Pick<EnvironmentSettings, 'workosApiKeySecretName'>;
  readonly removalPolicy: RemovalPolicy;
}

/** The secret that holds the WorkOS API key, and how a function may read it. */
export interface WorkosApiKeySecret {
  /** Holds the WorkOS API key; the template never contains the key itself. */
  readonly secret: ISecret;
  /**
   * What a function reads the key by at run time: the name of a secret named in the settings,
   * or the created secret's ARN.
   */
  readonly secretId: string;
  /** Allows the function `reader` to read the key's value, and nothing else about the secret. */
  grantGetSecretValue(reader: { readonly role: IRole }): void;
}

/**
 * The WorkOS API key's secret: created (empty; operators put the key in it), or the existing one
 * the settings name.
 *
 * Created in `scope` itself, under the id `WorkosApiKey`, not in a construct of its own: the
 * logical id is the one deployed stacks already have, and a new one would replace the secret
 * and the key stored in it.
 */
export function addWorkosApiKeySecret(
  scope: Construct,
  props: WorkosApiKeySecretProps,
): WorkosApiKeySecret {
  const { removalPolicy } = props;
  const secretName = props.settings.workosApiKeySecretName;
  let secret: ISecret;
  if (secretName === undefined) {
    const created = new Secret(scope, 'WorkosApiKey', {
      description:
        'WorkOS API key for the user import. Set it with aws secretsmanager put-secret-value.',
      removalPolicy,
    });
    acknowledge(
      created,
      'AwsSolutions-SMG4',
      'The secret holds a WorkOS API key, which only the WorkOS dashboard issues and revokes, so a Secrets Manager rotation Lambda cannot rotate it. Operators rotate it by hand (new key in WorkOS, put-secret-value, revoke the old key); the consumer re-reads the secret every 5 minutes, so no redeploy is needed.',
    );
    secret = created;
  } else {
    secret = Secret.fromSecretNameV2(scope, 'WorkosApiKey', secretName);
  }

  return {
    secret,
    secretId: secretName ?? secret.secretArn,
    grantGetSecretValue: (reader) => {
      // GetSecretValue only: grantRead() adds DescribeSecret, which the consumer never calls.
      reader.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [arnForPolicies(scope, secret, secretName)],
        }),
      );
      if (secretName !== undefined) {
        acknowledge(
          reader.role,
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretName}-??????]`,
          'A secret named in the settings is known by name only; Secrets Manager appends six random characters to its ARN, which this pattern matches and nothing more.',
        );
      }
    },
  };
}

/**
 * The ARN a policy names: the created secret's, or for a secret named in the settings, its name
 * followed by the six random characters Secrets Manager appends.
 */
function arnForPolicies(scope: Construct, secret: ISecret, secretName: string | undefined) {
  if (secretName === undefined) return secret.secretArn;
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretName}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
