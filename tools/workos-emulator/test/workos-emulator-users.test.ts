import {
  BadRequestException,
  ConflictException,
  NotFoundException,
  UnauthorizedException,
  UnprocessableEntityException,
  type WorkOS,
} from '@workos-inc/node';
import bcrypt from 'bcryptjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningWorkOsEmulator, startWorkOsEmulator } from '../src/workos-emulator.ts';
import { failureOf, sdkFor, testApiKey } from './emulator-sdk.ts';

describe('WorkOS emulator: users through the real SDK', () => {
  let emulator: RunningWorkOsEmulator;
  let workos: WorkOS;

  beforeEach(async () => {
    emulator = await startWorkOsEmulator({ apiKey: testApiKey });
    workos = sdkFor(emulator);
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('creates a user and returns the WorkOS user object', async () => {
    const user = await workos.userManagement.createUser({
      email: 'ada@example.test',
      firstName: 'Ada',
      lastName: 'Lovelace',
      emailVerified: true,
      externalId: 'auth0|5dea9f9c82dd7c0e76e4ec93',
      metadata: { source: 'auth0' },
    });
    expect(user).toMatchObject({
      object: 'user',
      email: 'ada@example.test',
      firstName: 'Ada',
      lastName: 'Lovelace',
      emailVerified: true,
      externalId: 'auth0|5dea9f9c82dd7c0e76e4ec93',
      metadata: { source: 'auth0' },
      profilePictureUrl: null,
      lastSignInAt: null,
      locale: null,
      name: null,
    });
    expect(user.id).toMatch(/^user_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Date.parse(user.createdAt)).not.toBeNaN();
    expect(user.updatedAt).toBe(user.createdAt);
  });

  it('answers null external_id and empty metadata when they were not given', async () => {
    const user = await workos.userManagement.createUser({ email: 'plain@example.test' });
    expect(user.externalId).toBeNull();
    expect(user.metadata).toEqual({});
  });

  it('stores an imported password hash exactly as sent', async () => {
    const hash = bcrypt.hashSync('secret', 4);
    const user = await workos.userManagement.createUser({
      email: 'hash@example.test',
      passwordHash: hash,
      passwordHashType: 'bcrypt',
    });
    expect(emulator.users()).toEqual([
      expect.objectContaining({
        id: user.id,
        passwordHash: hash,
        passwordHashType: 'bcrypt',
        passwordSource: 'password_hash',
      }),
    ]);
  });

  it('gets a user by id and by external id, decoding the encoded path', async () => {
    const created = await workos.userManagement.createUser({
      email: 'ext@example.test',
      externalId: 'samlp|conn/with slash',
    });
    await expect(workos.userManagement.getUser(created.id)).resolves.toMatchObject({
      id: created.id,
    });
    await expect(
      workos.userManagement.getUserByExternalId('samlp|conn/with slash'),
    ).resolves.toMatchObject({ id: created.id });
  });

  it('raises NotFoundException with code entity_not_found for a missing user or external id', async () => {
    const byId = await failureOf(() => workos.userManagement.getUser('user_missing'));
    expect(byId).toBeInstanceOf(NotFoundException);
    expect(byId).toMatchObject({ status: 404, code: 'entity_not_found' });
    const byExternalId = await failureOf(() =>
      workos.userManagement.getUserByExternalId('auth0|missing'),
    );
    expect(byExternalId).toBeInstanceOf(NotFoundException);
  });

  it('lists users filtered by email case-insensitively', async () => {
    await workos.userManagement.createUser({ email: 'Grace@Example.test' });
    await workos.userManagement.createUser({ email: 'other@example.test' });
    const list = await workos.userManagement.listUsers({ email: 'grace@example.TEST' });
    expect(list.data.map((user) => user.email)).toEqual(['Grace@Example.test']);
  });

  it('paginates newest first with after cursors, and autoPagination collects everyone', async () => {
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      created.push(
        (await workos.userManagement.createUser({ email: `u${index}@example.test` })).id,
      );
    }
    const first = await workos.userManagement.listUsers({ limit: 2 });
    expect(first.data.map((user) => user.id)).toEqual([created[4], created[3]]);
    expect(first.listMetadata).toEqual({ before: null, after: created[3] });
    const second = await workos.userManagement.listUsers({
      limit: 2,
      after: first.listMetadata.after ?? undefined,
    });
    expect(second.data.map((user) => user.id)).toEqual([created[2], created[1]]);
    const ascending = await workos.userManagement.listUsers({ limit: 2, order: 'asc' });
    expect(ascending.data.map((user) => user.id)).toEqual([created[0], created[1]]);
    const everyone = await (await workos.userManagement.listUsers()).autoPagination();
    expect(everyone.map((user) => user.id)).toEqual([...created].reverse());
  });

  it('refuses a limit outside 1-100 with 422', async () => {
    const error = await failureOf(() => workos.userManagement.listUsers({ limit: 101 }));
    expect(error).toBeInstanceOf(UnprocessableEntityException);
  });

  it('updates only the fields given, merging metadata and deleting keys set to null', async () => {
    const created = await workos.userManagement.createUser({
      email: 'meta@example.test',
      firstName: 'Before',
      lastName: 'Kept',
      metadata: { keep: 'k', change: 'old', drop: 'd' },
    });
    const updated = await workos.userManagement.updateUser({
      userId: created.id,
      firstName: 'After',
      metadata: { change: 'new', drop: null, added: 'a' },
    });
    expect(updated).toMatchObject({
      firstName: 'After',
      lastName: 'Kept',
      email: 'meta@example.test',
      metadata: { keep: 'k', change: 'new', added: 'a' },
    });
    expect(updated.metadata).not.toHaveProperty('drop');
    expect(emulator.stats().usersUpdated).toBe(1);
  });

  it('sets a password hash on update', async () => {
    const created = await workos.userManagement.createUser({ email: 'later@example.test' });
    const hash = bcrypt.hashSync('secret', 4);
    await workos.userManagement.updateUser({
      userId: created.id,
      passwordHash: hash,
      passwordHashType: 'bcrypt',
    });
    expect(emulator.users()[0]?.passwordHash).toBe(hash);
  });

  it('refuses to update a user to an email another user holds, in any case', async () => {
    await workos.userManagement.createUser({ email: 'taken@example.test' });
    const other = await workos.userManagement.createUser({ email: 'free@example.test' });
    const error = await failureOf(() =>
      workos.userManagement.updateUser({ userId: other.id, email: 'TAKEN@example.test' }),
    );
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error).toMatchObject({ errors: [{ code: 'email_not_available' }] });
  });

  it('refuses to update a user to an external id another user holds', async () => {
    await workos.userManagement.createUser({ email: 'a@example.test', externalId: 'ext-a' });
    const other = await workos.userManagement.createUser({ email: 'b@example.test' });
    const error = await failureOf(() =>
      workos.userManagement.updateUser({ userId: other.id, externalId: 'ext-a' }),
    );
    expect(error).toMatchObject({ errors: [{ code: 'external_id_already_used' }] });
  });

  it('deletes a user, after which it is not found', async () => {
    const created = await workos.userManagement.createUser({ email: 'gone@example.test' });
    await workos.userManagement.deleteUser(created.id);
    expect(await failureOf(() => workos.userManagement.getUser(created.id))).toBeInstanceOf(
      NotFoundException,
    );
    expect(await failureOf(() => workos.userManagement.deleteUser(created.id))).toBeInstanceOf(
      NotFoundException,
    );
    // The email is free again.
    await expect(
      workos.userManagement.createUser({ email: 'gone@example.test' }),
    ).resolves.toBeDefined();
  });

  it('answers a duplicate email (any case) with BadRequestException user_creation_error / email_not_available', async () => {
    await workos.userManagement.createUser({ email: 'dup@example.test' });
    const error = await failureOf(() =>
      workos.userManagement.createUser({ email: 'DUP@example.test' }),
    );
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error).toMatchObject({
      status: 400,
      code: 'user_creation_error',
      message: 'Could not create user.',
      errors: [{ code: 'email_not_available', message: 'This email is not available.' }],
    });
    expect(emulator.users()).toHaveLength(1);
  });

  it('answers a duplicate external id with errors[0].code external_id_already_used', async () => {
    await workos.userManagement.createUser({ email: 'one@example.test', externalId: 'auth0|1' });
    const error = await failureOf(() =>
      workos.userManagement.createUser({ email: 'two@example.test', externalId: 'auth0|1' }),
    );
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error).toMatchObject({
      code: 'user_creation_error',
      errors: [{ code: 'external_id_already_used' }],
    });
  });

  it('refuses an invalid create with 422 invalid_request_parameters naming the problem', async () => {
    const missingEmail = await failureOf(() => workos.userManagement.createUser({ email: '' }));
    expect(missingEmail).toBeInstanceOf(UnprocessableEntityException);
    expect(missingEmail).toMatchObject({ code: 'invalid_request_parameters' });
    expect((missingEmail as Error).message).toContain('email_string_required');
    const badHash = await failureOf(() =>
      workos.userManagement.createUser({
        email: 'bad-hash@example.test',
        passwordHash: '$2b$10$tooshort',
        passwordHashType: 'bcrypt',
      }),
    );
    expect((badHash as Error).message).toContain('password_hash_invalid');
    expect(emulator.users()).toEqual([]);
  });

  it('answers a wrong API key with UnauthorizedException and changes nothing', async () => {
    const error = await failureOf(() =>
      sdkFor(emulator, 'sk_wrong').userManagement.createUser({ email: 'x@example.test' }),
    );
    expect(error).toBeInstanceOf(UnauthorizedException);
    expect((error as UnauthorizedException).requestID).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.users()).toEqual([]);
    expect(emulator.stats()).toMatchObject({ unauthorized: 1, writes: 0 });
  });

  it('refuses a request with no bearer token at all', async () => {
    const response = await fetch(`${emulator.url}/user_management/users`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('accepts any non-empty key when no apiKey is configured', async () => {
    const open = await startWorkOsEmulator();
    try {
      await expect(
        sdkFor(open, 'sk_anything').userManagement.createUser({ email: 'open@example.test' }),
      ).resolves.toBeDefined();
    } finally {
      await open.close();
    }
  });

  it('answers an unknown path with a JSON 404 and an X-Request-ID', async () => {
    const response = await fetch(`${emulator.url}/directory_users`, {
      headers: { Authorization: `Bearer ${testApiKey}` },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });
});

describe('WorkOS emulator: legacy duplicate errors', () => {
  it.each([
    { field: 'email', second: { email: 'same@example.test', externalId: 'ext-2' } },
    { field: 'external id', second: { email: 'other@example.test', externalId: 'ext-1' } },
  ])(
    'answers a duplicate $field with ConflictException user_already_exists',
    async ({ second }) => {
      const emulator = await startWorkOsEmulator({ legacyDuplicateErrors: true });
      try {
        const workos = sdkFor(emulator);
        await workos.userManagement.createUser({ email: 'same@example.test', externalId: 'ext-1' });
        const error = await failureOf(() => workos.userManagement.createUser(second));
        expect(error).toBeInstanceOf(ConflictException);
        expect(error).toMatchObject({ status: 409, code: 'user_already_exists' });
      } finally {
        await emulator.close();
      }
    },
  );
});
