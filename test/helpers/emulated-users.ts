import { WorkOS } from '@workos-inc/node';
import { importMetadataKeys } from '../../src/model/import-metadata.ts';
import type { EmulatedUser } from '../../tools/workos-emulator/src/user-store.ts';

/**
 * What WorkOS holds for each user, in a form two runs can be compared by (ids, timestamps and
 * the import digest, which names the records a run read, left out), sorted by external id.
 */
export function comparableUsers(users: EmulatedUser[]) {
  return users
    .map(({ externalId, email, emailVerified, firstName, lastName, passwordHash, metadata }) => ({
      externalId,
      email,
      emailVerified,
      firstName,
      lastName,
      hasPassword: passwordHash !== null,
      metadata: withoutImportDigest(metadata),
    }))
    .sort((a, b) => String(a.externalId).localeCompare(String(b.externalId)));
}

/** Signs in with a password through the real WorkOS SDK, against the emulator at `url`. */
export function signInThroughSdk(
  { url, apiKey, clientId }: { url: string; apiKey: string; clientId: string },
  email: string,
  password: string,
) {
  const { hostname, port } = new URL(url);
  const workos = new WorkOS(apiKey, {
    apiHostname: hostname,
    port: Number(port),
    https: false,
    maxRetries: 0,
    clientId,
  });
  return workos.userManagement.authenticateWithPassword({ clientId, email, password });
}

function withoutImportDigest(metadata: Record<string, string>): Record<string, string> {
  const { [importMetadataKeys.digest]: _digest, ...rest } = metadata;
  return rest;
}
