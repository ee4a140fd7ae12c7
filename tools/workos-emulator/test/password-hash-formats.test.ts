import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { passwordHashProblem } from '../src/password-hash-formats.ts';
import type { PasswordHashType } from '../src/password-hash-types.ts';
import { firebaseTestVector, sshaOf } from './password-hash-fixtures.ts';

/** `@phc/format` ships no types; this is the one function the tests use. */
const phcFormat = createRequire(import.meta.url)('@phc/format') as {
  serialize(options: {
    id: string;
    params?: Record<string, string | number | Buffer>;
    salt?: Buffer;
    hash?: Buffer;
  }): string;
};

/** 16 and 32 bytes of B64: stand-ins where only the format is under test. */
const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
const hash32 = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

function codeOf(hashType: PasswordHashType, hash: string): string | undefined {
  return passwordHashProblem(hashType, hash)?.code;
}

describe('password hash formats WorkOS accepts (reference C.2)', () => {
  it.each([
    {
      case: 'the scrypt example from the WorkOS docs',
      hashType: 'scrypt',
      hash: '$scrypt$v=1$n=16384,r=8,p=1,kl=64$Swhqd4iUYTtWfbCYIPeuMw$q7pfdBQMJujd5FX/qX+ozM2O6aNqP+mo1ZnHGH15XM2vlhroQfPA037UpbdfpH4H66OrSPjsUhfkAMuNoBiQvw',
    },
    {
      case: 'the pbkdf2 example from the WorkOS docs',
      hashType: 'pbkdf2',
      hash: '$pbkdf2$i=600000,d=sha256$T2ptRFh6MXhDQVh2SWZuUGdpQXBUTg$xXiyTisD7390NijyCv5ICMhFW4eDuMlzypRoLGLyIvA',
    },
    {
      case: 'the argon2 example from the WorkOS docs',
      hashType: 'argon2',
      hash: '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
    },
    { case: "Firebase's test vector", hashType: 'firebase-scrypt', hash: firebaseTestVector.phc },
    { case: 'an ssha hash', hashType: 'ssha', hash: sshaOf('pw') },
    {
      case: 'pbkdf2 sha256 at 600,000',
      hashType: 'pbkdf2',
      hash: `$pbkdf2$i=600000,d=sha256$${salt}$${hash32}`,
    },
    {
      case: 'pbkdf2 sha256 at 1,000,000',
      hashType: 'pbkdf2',
      hash: `$pbkdf2$i=1000000,d=sha256$${salt}$${hash32}`,
    },
    {
      case: 'pbkdf2 sha512 at 210,000',
      hashType: 'pbkdf2',
      hash: `$pbkdf2$i=210000,d=sha512$${salt}$${hash32}`,
    },
    {
      case: 'argon2id at m=4096,t=1,p=1',
      hashType: 'argon2',
      hash: `$argon2id$v=19$m=4096,t=1,p=1$${salt}$${hash32}`,
    },
    {
      case: 'argon2id at m=262144,t=5,p=8',
      hashType: 'argon2',
      hash: `$argon2id$v=19$m=262144,t=5,p=8$${salt}$${hash32}`,
    },
    {
      case: 'argon2i at t=3',
      hashType: 'argon2',
      hash: `$argon2i$v=19$m=4096,t=3,p=1$${salt}$${hash32}`,
    },
    {
      case: 'argon2d at t=1',
      hashType: 'argon2',
      hash: `$argon2d$v=19$m=4096,t=1,p=1$${salt}$${hash32}`,
    },
  ] as const)('accepts $case', ({ hashType, hash }) => {
    expect(passwordHashProblem(hashType, hash)).toBeUndefined();
  });

  it('accepts exactly what @phc/format emits for the Firebase test vector, as WorkOS advises', () => {
    const serialized = phcFormat.serialize({
      id: 'firebase-scrypt',
      params: {
        sk: Buffer.from(firebaseTestVector.signerKey, 'base64'),
        ss: Buffer.from(firebaseTestVector.saltSeparator, 'base64'),
        r: firebaseTestVector.rounds,
        m: firebaseTestVector.memCost,
      },
      salt: Buffer.from(firebaseTestVector.salt, 'base64'),
      hash: Buffer.from(
        'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
        'base64',
      ),
    });
    expect(serialized).toBe(firebaseTestVector.phc);
    expect(passwordHashProblem('firebase-scrypt', serialized)).toBeUndefined();
  });

  it.each([
    {
      case: 'scrypt without the version',
      hashType: 'scrypt',
      hash: `$scrypt$n=16384,r=8,p=1,kl=32$${salt}$${hash32}`,
    },
    {
      case: 'scrypt with v=2',
      hashType: 'scrypt',
      hash: `$scrypt$v=2$n=16384,r=8,p=1,kl=32$${salt}$${hash32}`,
    },
    {
      case: 'scrypt parameters out of order',
      hashType: 'scrypt',
      hash: `$scrypt$v=1$r=8,n=16384,p=1,kl=32$${salt}$${hash32}`,
    },
    {
      case: 'scrypt without kl',
      hashType: 'scrypt',
      hash: `$scrypt$v=1$n=16384,r=8,p=1$${salt}$${hash32}`,
    },
    {
      case: 'scrypt whose kl is not the hash length',
      hashType: 'scrypt',
      hash: `$scrypt$v=1$n=16384,r=8,p=1,kl=64$${salt}$${hash32}`,
    },
    {
      case: 'scrypt n that is not a power of two',
      hashType: 'scrypt',
      hash: `$scrypt$v=1$n=1000,r=8,p=1,kl=32$${salt}$${hash32}`,
    },
    {
      case: 'scrypt with a padded salt',
      hashType: 'scrypt',
      hash: `$scrypt$v=1$n=16384,r=8,p=1,kl=32$${salt}==$${hash32}`,
    },
    {
      case: 'scrypt without a hash',
      hashType: 'scrypt',
      hash: `$scrypt$v=1$n=16384,r=8,p=1,kl=32$${salt}`,
    },
    {
      case: 'scrypt with URL-safe base64',
      hashType: 'scrypt',
      hash: `$scrypt$v=1$n=16384,r=8,p=1,kl=3$${salt}$-_-_`,
    },
    {
      case: 'pbkdf2 with sha1',
      hashType: 'pbkdf2',
      hash: `$pbkdf2$i=600000,d=sha1$${salt}$${hash32}`,
    },
    {
      case: 'pbkdf2 named pbkdf2-sha256 (passlib style)',
      hashType: 'pbkdf2',
      hash: `$pbkdf2-sha256$i=600000$${salt}$${hash32}`,
    },
    {
      case: 'pbkdf2 without the digest',
      hashType: 'pbkdf2',
      hash: `$pbkdf2$i=600000$${salt}$${hash32}`,
    },
    {
      case: 'pbkdf2 iterations with a leading zero',
      hashType: 'pbkdf2',
      hash: `$pbkdf2$i=0600000,d=sha256$${salt}$${hash32}`,
    },
    {
      case: 'argon2 with v=16',
      hashType: 'argon2',
      hash: `$argon2id$v=16$m=4096,t=1,p=1$${salt}$${hash32}`,
    },
    {
      case: 'argon2 without the version',
      hashType: 'argon2',
      hash: `$argon2id$m=4096,t=1,p=1$${salt}$${hash32}`,
    },
    {
      case: 'argon2 with an unknown variant',
      hashType: 'argon2',
      hash: `$argon2x$v=19$m=4096,t=1,p=1$${salt}$${hash32}`,
    },
    {
      case: 'argon2 with a 4-byte salt',
      hashType: 'argon2',
      hash: `$argon2id$v=19$m=4096,t=1,p=1$c2FsdA$${hash32}`,
    },
    {
      case: 'ssha without its prefix',
      hashType: 'ssha',
      hash: sshaOf('pw').slice('{SSHA}'.length),
    },
    {
      case: 'ssha with a lowercase prefix',
      hashType: 'ssha',
      hash: sshaOf('pw').replace('{SSHA}', '{ssha}'),
    },
    {
      case: 'ssha holding only a digest, no salt',
      hashType: 'ssha',
      hash: `{SSHA}${Buffer.alloc(20).toString('base64')}`,
    },
    {
      case: 'ssha with its padding stripped',
      hashType: 'ssha',
      hash: sshaOf('pw', Buffer.alloc(8)).replace(/=+$/, ''),
    },
    {
      case: 'firebase-scrypt in the WorkOS CLI layout',
      hashType: 'firebase-scrypt',
      hash: `$firebase-scrypt$hash=${hash32}$salt=${salt}$sk=${hash32}$ss=Bw==$r=8$m=14`,
    },
    {
      case: 'firebase-scrypt with a padded signer key',
      hashType: 'firebase-scrypt',
      hash: firebaseTestVector.phc.replace('XA,ss=', 'XA==,ss='),
    },
    {
      case: 'firebase-scrypt without the salt separator',
      hashType: 'firebase-scrypt',
      hash: firebaseTestVector.phc.replace(',ss=Bw', ''),
    },
    {
      case: 'a bcrypt hash sent as firebase-scrypt',
      hashType: 'firebase-scrypt',
      hash: '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m',
    },
  ] as const)('refuses $case as password_hash_invalid', ({ hashType, hash }) => {
    expect(codeOf(hashType, hash)).toBe('password_hash_invalid');
  });

  it.each([
    { case: 'pbkdf2 sha256 below 600,000', hash: `$pbkdf2$i=599999,d=sha256$${salt}$${hash32}` },
    { case: 'pbkdf2 sha256 above 1,000,000', hash: `$pbkdf2$i=1000001,d=sha256$${salt}$${hash32}` },
    { case: 'pbkdf2 sha512 below 210,000', hash: `$pbkdf2$i=209999,d=sha512$${salt}$${hash32}` },
    { case: 'pbkdf2 sha512 above 1,000,000', hash: `$pbkdf2$i=1000001,d=sha512$${salt}$${hash32}` },
    { case: 'argon2 m below 4,096', hash: `$argon2id$v=19$m=4095,t=1,p=1$${salt}$${hash32}` },
    { case: 'argon2 m above 262,144', hash: `$argon2id$v=19$m=262145,t=1,p=1$${salt}$${hash32}` },
    { case: 'argon2 t of 0', hash: `$argon2id$v=19$m=4096,t=0,p=1$${salt}$${hash32}` },
    { case: 'argon2 t above 5', hash: `$argon2id$v=19$m=4096,t=6,p=1$${salt}$${hash32}` },
    {
      case: 'argon2i with t=2 (the argon2 README vector)',
      hash: '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
    },
    { case: 'argon2 p of 0', hash: `$argon2id$v=19$m=4096,t=1,p=0$${salt}$${hash32}` },
    { case: 'argon2 p above 8', hash: `$argon2id$v=19$m=4096,t=1,p=9$${salt}$${hash32}` },
    {
      case: 'scrypt needing over 1 GiB (emulator limit)',
      hash: `$scrypt$v=1$n=2097152,r=8,p=1,kl=32$${salt}$${hash32}`,
    },
  ])('refuses $case as password_hash_parameters_out_of_range', ({ hash }) => {
    const hashType = hash.startsWith('$pbkdf2')
      ? 'pbkdf2'
      : hash.startsWith('$scrypt')
        ? 'scrypt'
        : 'argon2';
    expect(codeOf(hashType, hash)).toBe('password_hash_parameters_out_of_range');
  });

  it('names the rule broken without echoing the hash', () => {
    const hash = `$pbkdf2$i=1000,d=sha256$${salt}$${hash32}`;
    const problem = passwordHashProblem('pbkdf2', hash);
    expect(problem?.message).toMatch(/600000 to 1000000 iterations/);
    expect(problem?.message).not.toContain(hash32);
  });
});
