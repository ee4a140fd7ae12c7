import {
  GenericServerException,
  UnprocessableEntityException,
  type UserResponse,
  type WorkOS,
} from '@workos-inc/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningWorkOsEmulator, startWorkOsEmulator } from '../src/workos-emulator.ts';
import { failureOf, sdkFor, testApiKey, testClientId } from './emulator-sdk.ts';
import {
  firebaseTestVector,
  hashFixtures,
  knownPassword,
  ssha256Of,
  sshaOf,
} from './password-hash-fixtures.ts';

/**
 * Creates a user through the SDK's own request method: its `createUser` types lack `pbkdf2`,
 * `ssha256` and `password_salt_position`, which the API accepts (reference C.2).
 */
async function createHashedUser(
  workos: WorkOS,
  body: {
    email: string;
    password_hash: string;
    password_hash_type: string;
    password_salt_position?: string;
  },
): Promise<UserResponse> {
  const { data } = await workos.post<UserResponse>('/user_management/users', body);
  return data;
}

describe('WorkOS emulator: imported password hashes through the real SDK', () => {
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

  describe.each(hashFixtures)('$label', ({ hashType, saltPosition, password, makeHash }) => {
    it('signs in with the original password and refuses a wrong one', async () => {
      const hash = await makeHash();
      const created = await createHashedUser(workos, {
        email: 'migrated@example.test',
        password_hash: hash,
        password_hash_type: hashType,
        ...(saltPosition === undefined ? {} : { password_salt_position: saltPosition }),
      });
      expect(emulator.users()[0]).toMatchObject({
        passwordHash: hash,
        passwordHashType: hashType,
        passwordSaltPosition: saltPosition ?? null,
      });

      const signedIn = await workos.userManagement.authenticateWithPassword({
        email: 'migrated@example.test',
        password,
      });
      expect(signedIn.user.id).toBe(created.id);

      const refused = await failureOf(() =>
        workos.userManagement.authenticateWithPassword({
          email: 'migrated@example.test',
          password: `${password.slice(0, -1)}X`,
        }),
      );
      expect(refused).toBeInstanceOf(GenericServerException);
      expect(refused).toMatchObject({ status: 400, code: 'invalid_credentials' });
      expect(emulator.stats()).toMatchObject({ signIns: 1, failedSignIns: 1 });
    });
  });

  it('signs in with a hash set by updateUser, replacing the previous password', async () => {
    const user = await workos.userManagement.createUser({
      email: 'updated@example.test',
      password: 'old password',
    });
    await workos.userManagement.updateUser({
      userId: user.id,
      passwordHash: sshaOf(knownPassword),
      passwordHashType: 'ssha',
    });
    await expect(
      workos.userManagement.authenticateWithPassword({
        email: 'updated@example.test',
        password: knownPassword,
      }),
    ).resolves.toMatchObject({ user: { id: user.id } });
    expect(
      await failureOf(() =>
        workos.userManagement.authenticateWithPassword({
          email: 'updated@example.test',
          password: 'old password',
        }),
      ),
    ).toMatchObject({ code: 'invalid_credentials' });
  });

  it.each([
    {
      case: 'a malformed scrypt hash',
      hashType: 'scrypt',
      hash: '$scrypt$v=1$n=16384,r=8,p=1,kl=64$c2FsdA$aGFzaA',
      code: 'password_hash_invalid',
    },
    {
      case: 'pbkdf2 below its iteration floor',
      hashType: 'pbkdf2',
      hash: '$pbkdf2$i=100000,d=sha256$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
      code: 'password_hash_parameters_out_of_range',
    },
    {
      case: 'argon2i with fewer than 3 passes',
      hashType: 'argon2',
      hash: '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
      code: 'password_hash_parameters_out_of_range',
    },
    {
      case: 'argon2 with more than 256 MiB',
      hashType: 'argon2',
      hash: '$argon2id$v=19$m=524288,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
      code: 'password_hash_parameters_out_of_range',
    },
    {
      case: 'ssha without its {SSHA} prefix',
      hashType: 'ssha',
      hash: sshaOf(knownPassword).slice(6),
      code: 'password_hash_invalid',
    },
    {
      case: "firebase-scrypt in the WorkOS CLI's $-separated layout",
      hashType: 'firebase-scrypt',
      hash: '$firebase-scrypt$hash=lSrf$salt=42xEC+ixf3L2lw==$sk=jxsp$ss=Bw==$r=8$m=14',
      code: 'password_hash_invalid',
    },
  ])(
    'refuses $case at create with 422 $code and stores nothing',
    async ({ hashType, hash, code }) => {
      const error = await failureOf(() =>
        createHashedUser(workos, {
          email: 'refused@example.test',
          password_hash: hash,
          password_hash_type: hashType,
        }),
      );
      expect(error).toBeInstanceOf(UnprocessableEntityException);
      expect(error).toMatchObject({ status: 422, code: 'invalid_request_parameters' });
      // The SDK drops errors[] on 422 and folds the codes into the message.
      expect((error as Error).message).toContain(code);
      expect(emulator.users()).toEqual([]);
    },
  );

  it('signs an ssha256 user in with the suffix rule when no salt position was sent', async () => {
    await createHashedUser(workos, {
      email: 'default@example.test',
      password_hash: ssha256Of(knownPassword, 'suffix'),
      password_hash_type: 'ssha256',
    });
    await expect(
      workos.userManagement.authenticateWithPassword({
        email: 'default@example.test',
        password: knownPassword,
      }),
    ).resolves.toBeDefined();
  });

  it('refuses an ssha256 prefix hash signed in by the suffix rule (its position matters)', async () => {
    await createHashedUser(workos, {
      email: 'swapped@example.test',
      password_hash: ssha256Of(knownPassword, 'prefix'),
      password_hash_type: 'ssha256',
      password_salt_position: 'suffix',
    });
    expect(
      await failureOf(() =>
        workos.userManagement.authenticateWithPassword({
          email: 'swapped@example.test',
          password: knownPassword,
        }),
      ),
    ).toMatchObject({ code: 'invalid_credentials' });
  });

  it.each([
    {
      case: 'a salt position that is neither prefix nor suffix',
      hashType: 'ssha256',
      hash: ssha256Of(knownPassword, 'prefix'),
      saltPosition: 'before',
      code: 'password_salt_position_invalid',
    },
    {
      case: 'a salt position beside ssha',
      hashType: 'ssha',
      hash: sshaOf(knownPassword),
      saltPosition: 'prefix',
      code: 'password_salt_position_not_applicable',
    },
    {
      case: 'ssha256 with a 20-byte (SHA-1) digest',
      hashType: 'ssha256',
      hash: `{SSHA256}${Buffer.alloc(20).toString('base64')}`,
      saltPosition: 'suffix',
      code: 'password_hash_invalid',
    },
  ])('refuses $case with 422 $code', async ({ hashType, hash, saltPosition, code }) => {
    const error = await failureOf(() =>
      createHashedUser(workos, {
        email: 'refused@example.test',
        password_hash: hash,
        password_hash_type: hashType,
        password_salt_position: saltPosition,
      }),
    );
    expect(error).toBeInstanceOf(UnprocessableEntityException);
    expect((error as Error).message).toContain(code);
    expect(emulator.users()).toEqual([]);
  });

  it('refuses a malformed hash on update too, keeping the old password', async () => {
    const user = await workos.userManagement.createUser({
      email: 'keeps@example.test',
      passwordHash: firebaseTestVector.phc,
      passwordHashType: 'firebase-scrypt',
    });
    const error = await failureOf(() =>
      workos.userManagement.updateUser({
        userId: user.id,
        passwordHash: firebaseTestVector.phc.replace('XA,ss=', 'XA==,ss='),
        passwordHashType: 'firebase-scrypt',
      }),
    );
    expect(error).toBeInstanceOf(UnprocessableEntityException);
    expect((error as Error).message).toContain('password_hash_invalid');
    expect(emulator.users()[0]?.passwordHash).toBe(firebaseTestVector.phc);
  });
});
