import { createHash } from 'node:crypto';
import { syntheticAuth0ExportLines } from '../synthetic-auth0-export.ts';

/**
 * Synthetic lines of Auth0's password-hash export (the file Auth0 support sends, read by
 * `src/sources/auth0/passwords.ts`) for the database users of
 * `syntheticAuth0ExportLines(count, { seed })`: same database id, same email, a bcrypt-shaped
 * hash. Social users (every 7th) have no password and no line, as in a real export.
 *
 * The ids and emails are derived here the way `synthetic-auth0-export.ts` derives them;
 * `assertMatchesUserExport` checks that the two still agree, so a change there cannot make the
 * bench silently join nothing.
 */
export function* syntheticAuth0PasswordLines(
  count: number,
  { seed = 'sample' }: { seed?: string } = {},
): Generator<string> {
  for (let index = 1; index <= count; index += 1) {
    if (index % 7 === 0) continue;
    const objectId = objectIdOf(seed, index);
    yield JSON.stringify({
      _id: { $oid: objectId },
      email: emailOf(seed, index),
      email_verified: index % 3 !== 0,
      // Shaped like bcrypt (what WorkOS imports as is); not the hash of any password.
      passwordHash: `$2b$10$${bcryptAlphabetOf(
        createHash('sha256').update(`pw:${seed}:${index}`).digest('base64'),
      )
        .slice(0, 53)
        .padEnd(53, 'a')}`,
      password_set_date: { $date: new Date(Date.UTC(2021, 0, 1) + index * 60_000).toISOString() },
      tenant: 'example',
      connection: 'Username-Password-Authentication',
      _tmp_is_unique: true,
    });
  }
}

function objectIdOf(seed: string, index: number): string {
  return createHash('sha256').update(`${seed}:${index}`).digest('hex').slice(0, 24);
}

function emailOf(seed: string, index: number): string {
  return `${seed === 'sample' ? '' : `${seed}.`}user${String(index).padStart(7, '0')}@example.com`;
}

/** base64's alphabet with bcrypt's: `+` → `.`, and `/` and `=` kept out. */
function bcryptAlphabetOf(base64: string): string {
  const base = base64.replaceAll('+', '.').replaceAll('=', '');
  return (base + base.split('').reverse().join('')).replaceAll('/', 'x');
}

/** Throws if the password lines no longer name the users of the synthetic user export. */
export function assertMatchesUserExport(seed: string): void {
  const users = [...syntheticAuth0ExportLines(6, { seed })].map(
    (line) => JSON.parse(line) as { user_id: string; email: string },
  );
  const passwords = [...syntheticAuth0PasswordLines(6, { seed })].map(
    (line) => JSON.parse(line) as { _id: { $oid: string }; email: string },
  );
  users.forEach((user, position) => {
    const password = passwords[position];
    if (password === undefined || user.user_id !== `auth0|${password._id.$oid}`) {
      throw new Error('Synthetic password export no longer matches the synthetic user export');
    }
    if (user.email !== password.email) {
      throw new Error('Synthetic password export emails no longer match the user export');
    }
  });
}
