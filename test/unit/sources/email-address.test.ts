import { describe, expect, it } from 'vitest';
import { isImportableEmail } from '../../../src/sources/email-address.ts';
import { emailCases } from '../../helpers/email-cases.ts';

describe('Function: isImportableEmail()', () => {
  it.each(emailCases)('$name: $email → importable $importable', ({ email, importable }) => {
    expect(isImportableEmail(email)).toBe(importable);
  });
});

describe('The shared email cases', () => {
  it('hold at least 40 rows, importable and refused, with importable emails unique ignoring case', () => {
    const importable = emailCases.filter((row) => row.importable).map((row) => row.email);
    expect(emailCases.length).toBeGreaterThanOrEqual(40);
    expect(importable.length).toBeGreaterThan(10);
    expect(emailCases.length - importable.length).toBeGreaterThan(10);
    expect(new Set(importable.map((email) => email.toLowerCase())).size).toBe(importable.length);
  });

  it('sit on the length limits they name', () => {
    const lengthOf = (name: string) => emailCases.find((row) => row.name === name)?.email.length;
    expect(lengthOf('254 characters in all')).toBe(254);
    expect(lengthOf('255 characters in all')).toBe(255);
    expect(lengthOf('a 64-character local part')).toBe(64 + '@example.com'.length);
    expect(lengthOf('a 65-character local part')).toBe(65 + '@example.com'.length);
  });
});
