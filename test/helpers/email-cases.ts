/**
 * Addresses every source must judge alike: importable ones become users, the others are rejected
 * `invalid_email` when the export is split. Importable addresses differ even ignoring case, so
 * one export can hold them all without any merging into another.
 */
export interface EmailCase {
  /** What the row shows, for the test's name. */
  name: string;
  email: string;
  importable: boolean;
}

const local64 = 'l'.repeat(64);
const label63 = 'd'.repeat(63);
/** A domain of `length` characters: two 63-character labels, one to make up the rest, `.com`. */
const domainOfLength = (length: number) =>
  `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(length - 132)}.com`;

const importable = (name: string, email: string): EmailCase => ({ name, email, importable: true });
const refused = (name: string, email: string): EmailCase => ({ name, email, importable: false });

export const emailCases: readonly EmailCase[] = [
  importable('a plain address', 'ada@example.com'),
  importable('uppercase, kept as exported', 'Ada.Lovelace@Example.COM'),
  importable('plus-addressing', 'ada+newsletter@example.com'),
  importable('an apostrophe', "o'brien@example.ie"),
  importable('subdomains', 'grace@mail.eu.example.co.uk'),
  importable('dots inside the local part', 'first.middle.last@example.org'),
  importable('an underscore in the local part', 'user_name@example.com'),
  importable('an all-numeric local part', '1234@example.com'),
  importable('a one-character local part', 'x@example.io'),
  importable('an atom character beside the usual ones', 'tag=value/x@example.com'),
  importable('hyphens inside labels', 'ops@my-company.example-site.com'),
  importable('an all-numeric label before the TLD', 'user@123.example.com'),
  importable('a TLD with a digit, not all-numeric', 'user@example.a1'),
  importable('a punycode domain', 'user@xn--bcher-kva.example'),
  importable('a punycode TLD', 'user@example.xn--p1ai'),
  importable('punycode domain and TLD', 'user@xn--80akhbyknj4f.xn--p1ai'),
  importable('a 64-character local part', `${local64}@example.com`),
  importable('a 63-character label', `user@${label63}.com`),
  importable('254 characters in all', `${local64}@${domainOfLength(189)}`),

  refused('a comma in the domain', 'user@example,com'),
  refused('a comma inside a domain label', 'user@exa,mple.com'),
  refused('two addresses joined by a comma', 'ada@example.com,bob@example.com'),
  refused('two addresses joined by a semicolon', 'ada@example.com;bob@example.com'),
  refused('a space in the local part', 'first last@example.com'),
  refused('a space in the domain', 'user@exam ple.com'),
  refused('a tab before the @', 'user\t@example.com'),
  refused('two @ in a row', 'user@@example.com'),
  refused('two @ apart', 'user@host@example.com'),
  refused('no @', 'user.example.com'),
  refused('an empty local part', '@example.com'),
  refused('an empty domain', 'user@'),
  refused('no TLD', 'user@example'),
  refused('a single-label host', 'user@localhost'),
  refused('an all-numeric TLD', 'user@example.123'),
  refused('a bare IPv4 address', 'user@192.168.0.1'),
  refused('an IPv4 literal', 'user@[192.168.0.1]'),
  refused('an IPv6 literal', 'user@[IPv6:2001:db8::1]'),
  refused('a 64-character label', `user@${label63}d.com`),
  refused('a 65-character local part', `${local64}l@example.com`),
  refused('255 characters in all', `${local64}@${domainOfLength(190)}`),
  refused('a leading dot in the local part', '.user@example.com'),
  refused('a trailing dot in the local part', 'user.@example.com'),
  refused('a double dot in the local part', 'us..er@example.com'),
  refused('a leading dot in the domain', 'user@.example.com'),
  refused('a double dot in the domain', 'user@example..com'),
  refused('a trailing dot in the domain', 'user@example.com.'),
  refused('a hyphen starting a label', 'user@-example.com'),
  refused('a hyphen ending a label', 'user@example-.com'),
  refused('a hyphen ending the TLD', 'user@example.com-'),
  refused('an underscore in the domain', 'user@my_host.example.com'),
  refused('a quoted local part with a space', '"john doe"@example.com'),
  refused('a quoted local part', '"john"@example.com'),
  refused('a Unicode domain', 'user@bücher.example'),
  refused('a Unicode TLD', 'user@example.рф'),
  refused('a Unicode local part', 'josé@example.com'),
  refused('a fullwidth @', 'user＠example.com'),
  refused('a broken A-label', 'user@xn--zz.example'),
  refused('a display name around the address', 'Ada <ada@example.com>'),
  refused('a mailto: prefix', 'mailto:ada@example.com'),
  refused('a comment in the local part', 'user(comment)@example.com'),
  refused('a backslash', 'us\\er@example.com'),
];
