import { join } from 'node:path';

/** The Auth0 tenant fixture: a users export, its password export, organizations and members. */
export const tenantFixtureDirectory = join(import.meta.dirname, '../fixtures/auth0/tenant');

/** The tenant's export files, in the order its manifest lists them (the manifest aside). */
export const tenantExportFiles = [
  'users.ndjson',
  'passwords.ndjson',
  'organizations.json',
  'members-acme.json',
  'members-globex.json',
  'members-initech.json',
] as const;

/** The path of one file of the tenant fixture. */
export function tenantFixture(name: string): string {
  return join(tenantFixtureDirectory, name);
}
