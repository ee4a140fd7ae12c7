import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WorkOS } from '@workos-inc/node';
import type { WorkOsConnectionConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { createWorkOsClient } from '../../src/workos/workos-user-directory.ts';

/** The API key is cached this long, so a rotated key is picked up without a redeploy. */
const apiKeyMaxAgeSeconds = 300;

/**
 * What a Lambda calls WorkOS with, for the key in the secret now: `build` makes them around an
 * SDK client for that key. A rotated key takes effect within the cache age, and the old key's
 * clients are let go. Both Lambdas reach WorkOS this way (the consumer to import, the splitter
 * to list the environment).
 */
export function workOsClientsFromSecret<Clients>(
  secrets: SecretsManagerClient,
  config: WorkOsConnectionConfig,
  build: (workos: WorkOS) => Clients,
): () => Promise<Clients> {
  const secretsProvider = new SecretsProvider({ awsSdkV3Client: secrets });
  let current: { apiKey: string; clients: Clients } | undefined;
  return async () => {
    const secret = await secretsProvider.get(config.WORKOS_API_KEY_SECRET_ID, {
      maxAge: apiKeyMaxAgeSeconds,
    });
    const apiKey = apiKeyFromSecret(secret);
    if (current?.apiKey !== apiKey) {
      const workos = createWorkOsClient({
        apiKey,
        apiUrl: config.WORKOS_API_URL,
        timeoutMs: config.WORKOS_TIMEOUT_MS,
      });
      current = { apiKey, clients: build(workos) };
    }
    return current.clients;
  };
}

/**
 * The secret holds the key itself, or a JSON object with an `apiKey` field. Error messages never
 * quote the secret: a JSON parser's message would echo part of the key.
 */
export function apiKeyFromSecret(secret: unknown): string {
  const text =
    typeof secret === 'string'
      ? secret
      : secret instanceof Uint8Array
        ? Buffer.from(secret).toString('utf8')
        : '';
  const trimmed = text.trim();
  if (trimmed === '') throw new ConfigError('The WorkOS API key secret is empty');
  if (!trimmed.startsWith('{')) return trimmed;

  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ConfigError('The WorkOS API key secret starts with "{" but is not valid JSON');
  }
  const apiKey =
    typeof parsed === 'object' &&
    parsed !== null &&
    'apiKey' in parsed &&
    typeof parsed.apiKey === 'string'
      ? parsed.apiKey.trim()
      : undefined;
  if (apiKey === undefined) {
    throw new ConfigError('The WorkOS API key secret is JSON without a string "apiKey" field');
  }
  if (apiKey === '') throw new ConfigError('The WorkOS API key secret has an empty "apiKey"');
  return apiKey;
}
