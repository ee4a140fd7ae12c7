import { describe, expect, it } from 'vitest';
import {
  importMessageSchema,
  importUserSchema,
  passwordHashTypes,
  passwordSaltPositions,
} from '../../../src/model/import-message.ts';
import * as emulatorContract from '../../../tools/workos-emulator/src/password-hash-types.ts';
import { importUserFactory, userMessageFactory } from '../../helpers/factories.ts';

const ssha256Hash = '{SSHA256}AAAA';

describe('Hash types', () => {
  // The emulator states WorkOS's contract on its own; the importer must send no type it lacks.
  it('are the ones the WorkOS emulator accepts, with the same salt positions', () => {
    expect([...passwordHashTypes].sort()).toEqual([...emulatorContract.passwordHashTypes].sort());
    expect([...passwordSaltPositions]).toEqual([...emulatorContract.passwordSaltPositions]);
  });
});

describe('Schema: importUserSchema', () => {
  it('lists ssha256 among the hash types a user may carry', () => {
    expect(passwordHashTypes).toContain('ssha256');
    const user = importUserFactory({ passwordHash: ssha256Hash, passwordHashType: 'ssha256' });
    expect(importUserSchema.parse(user)).toEqual(user);
  });

  it.each(['prefix', 'suffix'] as const)('keeps an ssha256 salt position of %s', (position) => {
    const user = importUserFactory({
      passwordHash: ssha256Hash,
      passwordHashType: 'ssha256',
      passwordSaltPosition: position,
    });
    expect(importUserSchema.parse(user)).toEqual(user);
  });

  it.each([
    ['bcrypt', { passwordHash: '$2b$10$abc', passwordHashType: 'bcrypt' as const }],
    ['ssha', { passwordHash: '{SSHA}AAAA', passwordHashType: 'ssha' as const }],
    ['no hash type', {}],
  ])('refuses a salt position beside %s', (_, password) => {
    const result = importUserSchema.safeParse(
      importUserFactory({ ...password, passwordSaltPosition: 'prefix' }),
    );
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['passwordSaltPosition']]);
  });

  it('refuses a salt position that is neither prefix nor suffix', () => {
    const result = importUserSchema.safeParse({
      ...importUserFactory({ passwordHash: ssha256Hash, passwordHashType: 'ssha256' }),
      passwordSaltPosition: 'middle',
    });
    expect(result.success).toBe(false);
  });

  it('refuses, through the queue message schema, a user message with a misplaced salt position', () => {
    const message = userMessageFactory({
      passwordHash: '$2b$10$abc',
      passwordHashType: 'bcrypt',
      passwordSaltPosition: 'suffix',
    });
    expect(importMessageSchema.safeParse(message).success).toBe(false);
    expect(
      importMessageSchema.safeParse(
        userMessageFactory({
          passwordHash: ssha256Hash,
          passwordHashType: 'ssha256',
          passwordSaltPosition: 'suffix',
        }),
      ).success,
    ).toBe(true);
  });
});
