import { describe, expect, it } from 'vitest';
import { isIndexableBcryptHash } from '../../../src/sources/packed-bcrypt.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';
const bcryptAlphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

describe('Function: isIndexableBcryptHash()', () => {
  it.each([
    ['a $2b$ hash', bcrypt],
    ['a $2a$ hash', bcrypt.replace('$2b$', '$2a$')],
    ['a $2y$ hash', bcrypt.replace('$2b$', '$2y$')],
    ['cost 04', bcrypt.replace('$10$', '$04$')],
    ['cost 99 (not a real cost, but the shape WorkOS is sent)', bcrypt.replace('$10$', '$99$')],
    ['every character of the alphabet', `$2b$12$${bcryptAlphabet.slice(0, 53)}`],
  ])('accepts %s', (_, hash) => {
    expect(isIndexableBcryptHash(hash)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a $2x$ hash', bcrypt.replace('$2b$', '$2x$')],
    ['a $2$ hash', bcrypt.replace('$2b$', '$2$')],
    ['a one-digit cost', bcrypt.replace('$10$', '$9$')],
    ['a cost that is not digits', bcrypt.replace('$10$', '$1a$')],
    ['a missing $ after the cost', bcrypt.replace('$10$', '$10.')],
    ['a character outside the alphabet (+)', `${bcrypt.slice(0, -1)}+`],
    ['a character outside the alphabet (=)', `${bcrypt.slice(0, 30)}=${bcrypt.slice(31)}`],
    ['a non-ASCII character', `${bcrypt.slice(0, -1)}é`],
    ['one character short', bcrypt.slice(0, -1)],
    ['one character long', `${bcrypt}a`],
    ['an argon2 hash', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo'],
  ])('refuses %s', (_, hash) => {
    expect(isIndexableBcryptHash(hash)).toBe(false);
  });
});
