import { GenericServerException, OauthException, type WorkOS } from '@workos-inc/node';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningWorkOsEmulator, startWorkOsEmulator } from '../src/workos-emulator.ts';
import { failureOf, sdkFor, testApiKey, testClientId } from './emulator-sdk.ts';

const knownPassword = 'correct horse battery staple';
// Cost 4 keeps the suite fast; the verifier handles any cost.
const knownHash = bcrypt.hashSync(knownPassword, 4);

function decodeJwtPart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'));
}

describe('WorkOS emulator: password sign-in through the real SDK', () => {
  let emulator: RunningWorkOsEmulator;
  let workos: WorkOS;

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey: testApiKey, clientId: testClientId });
    workos = sdkFor(emulator);
  });

  beforeEach(() => {
    emulator.reset();
  });

  afterAll(async () => {
    await emulator.close();
  });

  async function importUserWithKnownHash() {
    return workos.userManagement.createUser({
      email: 'imported@example.test',
      emailVerified: true,
      passwordHash: knownHash,
      passwordHashType: 'bcrypt',
    });
  }

  it('signs in a user imported with the bcrypt hash of a known password', async () => {
    const imported = await importUserWithKnownHash();
    const result = await workos.userManagement.authenticateWithPassword({
      email: 'IMPORTED@example.test',
      password: knownPassword,
    });
    expect(result.user.id).toBe(imported.id);
    expect(result.authenticationMethod).toBe('Password');
    expect(result.organizationId).toBeUndefined();
    expect(result.refreshToken).toEqual(expect.any(String));
    expect(decodeJwtPart(result.accessToken, 0)).toEqual({ alg: 'none', typ: 'JWT' });
    expect(decodeJwtPart(result.accessToken, 1)).toMatchObject({ sub: imported.id });
  });

  it('records last_sign_in_at on a successful sign-in', async () => {
    const imported = await importUserWithKnownHash();
    expect(imported.lastSignInAt).toBeNull();
    const result = await workos.userManagement.authenticateWithPassword({
      email: 'imported@example.test',
      password: knownPassword,
    });
    expect(result.user.lastSignInAt).not.toBeNull();
    const reread = await workos.userManagement.getUser(imported.id);
    expect(reread.lastSignInAt).toBe(result.user.lastSignInAt);
  });

  it('refuses a wrong password with 400 invalid_credentials, which the SDK raises as GenericServerException', async () => {
    await importUserWithKnownHash();
    const error = await failureOf(() =>
      workos.userManagement.authenticateWithPassword({
        email: 'imported@example.test',
        password: 'wrong password',
      }),
    );
    expect(error).toBeInstanceOf(GenericServerException);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_credentials',
      message: 'Invalid credentials.',
    });
    expect(
      (await workos.userManagement.getUser(emulator.users()[0]?.id ?? '')).lastSignInAt,
    ).toBeNull();
    expect(emulator.stats()).toMatchObject({ signIns: 0, failedSignIns: 1 });
  });

  it('refuses an unknown email with the same invalid_credentials error', async () => {
    const error = await failureOf(() =>
      workos.userManagement.authenticateWithPassword({
        email: 'nobody@example.test',
        password: knownPassword,
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'invalid_credentials' });
  });

  it('refuses a user who has no password', async () => {
    await workos.userManagement.createUser({ email: 'nopass@example.test' });
    const error = await failureOf(() =>
      workos.userManagement.authenticateWithPassword({
        email: 'nopass@example.test',
        password: knownPassword,
      }),
    );
    expect(error).toMatchObject({ code: 'invalid_credentials' });
  });

  it('signs in with a plain password set on create or update', async () => {
    const created = await workos.userManagement.createUser({
      email: 'plain@example.test',
      password: 'first password',
    });
    await expect(
      workos.userManagement.authenticateWithPassword({
        email: 'plain@example.test',
        password: 'first password',
      }),
    ).resolves.toMatchObject({ user: { id: created.id } });
    await workos.userManagement.updateUser({ userId: created.id, password: 'second password' });
    await expect(
      workos.userManagement.authenticateWithPassword({
        email: 'plain@example.test',
        password: 'second password',
      }),
    ).resolves.toBeDefined();
    expect(
      await failureOf(() =>
        workos.userManagement.authenticateWithPassword({
          email: 'plain@example.test',
          password: 'first password',
        }),
      ),
    ).toMatchObject({ code: 'invalid_credentials' });
    expect(emulator.users()[0]).toMatchObject({
      passwordHashType: 'bcrypt',
      passwordSource: 'password',
    });
  });

  it('refuses a client id other than the configured one with an OauthException', async () => {
    await importUserWithKnownHash();
    const error = await failureOf(() =>
      workos.userManagement.authenticateWithPassword({
        clientId: 'client_other',
        email: 'imported@example.test',
        password: knownPassword,
      }),
    );
    expect(error).toBeInstanceOf(OauthException);
    expect(error).toMatchObject({ error: 'invalid_client' });
  });

  it('does not count sign-ins against the write limit', async () => {
    const limited = await startWorkOsEmulator({ writeLimit: { requests: 1, windowMs: 60_000 } });
    try {
      const client = sdkFor(limited);
      await client.userManagement.createUser({
        email: 'limited@example.test',
        passwordHash: knownHash,
        passwordHashType: 'bcrypt',
      });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await client.userManagement.authenticateWithPassword({
          email: 'limited@example.test',
          password: knownPassword,
        });
      }
      expect(limited.stats()).toMatchObject({ signIns: 3, rateLimited: 0 });
    } finally {
      await limited.close();
    }
  });
});
