import { describe, expect, it } from 'vitest';
import { sourceFormats } from '../../../src/model/job-manifest.ts';
import {
  detectFormat,
  exportSources,
  fileKindOf,
  organizationMappersFor,
} from '../../../src/sources/export-sources.ts';

const auth0User = { user_id: 'auth0|1', email: 'a@example.com', email_verified: true };
const auth0CsvUser = { user_id: "'auth0|1", email: 'a@example.com' };
const auth0Password = { _id: { $oid: '1' }, email: 'a@example.com', passwordHash: '$2b$10$x' };
const auth0Organization = { id: 'org_1', name: 'acme', display_name: 'Acme' };
const auth0Member = { organization_id: 'org_1', user_id: 'auth0|1', email: 'a@example.com' };

describe('Constant: exportSources', () => {
  it('has one entry per source a job can name', () => {
    expect(Object.keys(exportSources).sort()).toEqual([...sourceFormats].sort());
  });
});

describe('Function: detectFormat()', () => {
  it.each([
    ['an Auth0 user', auth0User, 'auth0'],
    ["an Auth0 CSV user (id behind a ')", auth0CsvUser, 'auth0'],
    ['an Auth0 password record', auth0Password, 'auth0'],
    ['an Auth0 organization', auth0Organization, 'auth0'],
    ['a Firebase user', { localId: '1', email: 'a@example.com' }, 'firebase'],
    [
      'a WorkOS template row',
      { user_id: '1', email: 'a@example.com', password_hash: 'x' },
      'generic',
    ],
    ['a record no source claims', { email: 'a@example.com' }, 'auth0'],
  ])('recognises %s', (_, fields, expected) => {
    expect(detectFormat(fields)).toBe(expected);
  });
});

describe('Function: fileKindOf()', () => {
  it.each([
    ['an Auth0 user', auth0User, 'users'],
    ['an Auth0 password record', auth0Password, 'passwords'],
    ['an Auth0 organization', auth0Organization, 'organizations'],
    ['an Auth0 member', auth0Member, 'members'],
    ['a Firebase user', { localId: '1', email: 'a@example.com' }, 'users'],
  ])('tells %s file', (_, fields, expected) => {
    expect(fileKindOf(fields)).toBe(expected);
  });
});

describe('Function: organizationMappersFor()', () => {
  it("reads another source's organization files as Auth0's, the one source that has them", () => {
    expect(organizationMappersFor('generic')).toBe(organizationMappersFor('auth0'));
    const map = organizationMappersFor('clerk').createOrganizationMapper();
    expect(map(auth0Organization)?.kind).toBe('organization');
  });
});
