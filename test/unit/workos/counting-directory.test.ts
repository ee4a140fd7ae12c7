import { RateLimitExceededException } from '@workos-inc/node';
import { describe, expect, it } from 'vitest';
import { RateLimitedError, TransientImportError } from '../../../src/errors.ts';
import {
  countingOrganizationDirectory,
  countingUserDirectory,
  emptyWorkOsCallCounts,
} from '../../../src/workos/counting-directory.ts';
import { InMemoryOrganizationDirectory } from '../../helpers/in-memory-organization-directory.ts';
import { InMemoryUserDirectory } from '../../helpers/in-memory-user-directory.ts';

const newUser = {
  email: 'ada@example.com',
  emailVerified: true,
  externalId: 'auth0|ada',
  metadata: {},
};

describe('countingUserDirectory', () => {
  it.each([
    ['createUser', 'writes'],
    ['updateUser', 'writes'],
    ['deleteUser', 'writes'],
    ['findUserByExternalId', 'reads'],
    ['findUserByEmail', 'reads'],
    ['listUsers', 'reads'],
  ] as const)('counts %s as one of the %s', async (method, kind) => {
    const users = new InMemoryUserDirectory();
    const existing = users.seed({ email: 'grace@example.com', externalId: 'auth0|grace' });
    const counts = emptyWorkOsCallCounts();
    const directory = countingUserDirectory(users, counts);

    const calls = {
      createUser: () => directory.createUser(newUser),
      updateUser: () => directory.updateUser(existing.id, { firstName: 'Grace' }),
      deleteUser: () => directory.deleteUser(existing.id),
      findUserByExternalId: () => directory.findUserByExternalId('auth0|grace'),
      findUserByEmail: () => directory.findUserByEmail('grace@example.com'),
      listUsers: () => directory.listUsers({}),
    };
    await calls[method]();

    expect(counts).toEqual({
      writes: kind === 'writes' ? 1 : 0,
      reads: kind === 'reads' ? 1 : 0,
      rateLimited: 0,
    });
  });

  it('counts a call WorkOS answered 429 as the write it was, and as a 429; other failures not', async () => {
    const users = new InMemoryUserDirectory();
    users.failNext(
      'createUser',
      new RateLimitedError(10),
      new TransientImportError('workos_503', 'WorkOS answered 503'),
    );
    users.failNext('findUserByEmail', new RateLimitExceededException('Too many', 'req_1', 5));
    const counts = emptyWorkOsCallCounts();
    const directory = countingUserDirectory(users, counts);

    await expect(directory.createUser(newUser)).rejects.toBeInstanceOf(RateLimitedError);
    await expect(directory.createUser(newUser)).rejects.toBeInstanceOf(TransientImportError);
    // An SDK exception that reached the decorator unclassified still counts as a 429.
    await expect(directory.findUserByEmail('ada@example.com')).rejects.toBeInstanceOf(
      RateLimitExceededException,
    );
    await directory.createUser(newUser);

    expect(counts).toEqual({ writes: 3, reads: 1, rateLimited: 2 });
  });
});

describe('countingOrganizationDirectory', () => {
  it('counts creates and updates of organizations and memberships as writes, finds as reads', async () => {
    const organizations = new InMemoryOrganizationDirectory();
    const counts = emptyWorkOsCallCounts();
    const directory = countingOrganizationDirectory(organizations, counts);

    const organization = await directory.createOrganization({ name: 'Acme', externalId: 'org_1' });
    await directory.findOrganizationByExternalId('org_1');
    await directory.updateOrganization(organization.id, { name: 'Acme Inc' });
    const membership = await directory.createMembership({
      userId: 'user_1',
      organizationId: organization.id,
      roleSlugs: [],
    });
    await directory.findMembership('user_1', organization.id);
    await directory.updateMembership(membership.id, ['admin']);

    expect(counts).toEqual({ writes: 4, reads: 2, rateLimited: 0 });
  });

  it('shares its counts with the user directory of the same run', async () => {
    const counts = emptyWorkOsCallCounts();
    const users = countingUserDirectory(new InMemoryUserDirectory(), counts);
    const organizations = countingOrganizationDirectory(
      new InMemoryOrganizationDirectory(),
      counts,
    );

    await users.createUser(newUser);
    await organizations.createOrganization({ name: 'Acme', externalId: 'org_1' });

    expect(counts.writes).toBe(2);
  });
});
