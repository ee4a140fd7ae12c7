import { createClerkUserMapper } from './clerk-users.ts';
import { createCognitoUserMapper } from './cognito-users.ts';
import type { ExportSource, SourceOptions } from './export-source.ts';
import { createFirebaseUserMapper } from './firebase-users.ts';
import { createGenericUserMapper, genericColumnNames } from './generic-users.ts';
import { createSupabaseUserMapper } from './supabase-users.ts';

/** Per-job choices for the other services' exports. */
export type OtherSourceOptions = SourceOptions;

/** One of the other services' export formats. */
export type OtherSourceFormat = ExportSource;

const has = (fields: Record<string, unknown>, name: string) => Object.hasOwn(fields, name);

const looksLikeFirebase = (fields: Record<string, unknown>) => has(fields, 'localId');
const looksLikeCognito = (fields: Record<string, unknown>) =>
  has(fields, 'Username') && Array.isArray(fields.Attributes);
const looksLikeClerk = (fields: Record<string, unknown>) =>
  has(fields, 'password_digest') || has(fields, 'primary_email_address');
const looksLikeSupabase = (fields: Record<string, unknown>) =>
  has(fields, 'encrypted_password') || has(fields, 'email_confirmed_at');

/** The WorkOS "other services" columns, beside `email`, that mark the generic layout. */
const genericMarkers = genericColumnNames.filter(
  (name) => !['email', 'id', 'metadata'].includes(name),
);

/**
 * `email` and a WorkOS column, and none of the named sources' marks: Firebase's JSON, for one,
 * also has `email` and `passwordHash`.
 */
const looksGeneric = (fields: Record<string, unknown>) =>
  has(fields, 'email') &&
  genericMarkers.some((name) => has(fields, name)) &&
  ![looksLikeFirebase, looksLikeCognito, looksLikeClerk, looksLikeSupabase].some((named) =>
    named(fields),
  );

/**
 * The other services' export formats, by the name a job selects them with. At most one `detect`
 * recognises any record: the generic layout steps aside for the named sources.
 */
export const otherSourceFormats = {
  firebase: {
    layoutHint: 'json-array',
    jsonRecordsKey: 'users',
    createMapper: (options) =>
      createFirebaseUserMapper(options.firebase, {
        importDisabledUsers: options.importBlockedUsers ?? false,
      }),
    detect: looksLikeFirebase,
  },
  cognito: {
    layoutHint: 'any',
    jsonRecordsKey: 'Users',
    createMapper: (options) =>
      createCognitoUserMapper({ importBlockedUsers: options.importBlockedUsers ?? false }),
    detect: looksLikeCognito,
  },
  clerk: {
    layoutHint: 'csv',
    createMapper: () => createClerkUserMapper(),
    detect: looksLikeClerk,
  },
  supabase: {
    layoutHint: 'any',
    createMapper: () => createSupabaseUserMapper(),
    detect: looksLikeSupabase,
  },
  generic: {
    layoutHint: 'any',
    createMapper: () => createGenericUserMapper(),
    detect: looksGeneric,
  },
} as const satisfies Record<string, OtherSourceFormat>;

export type OtherSourceName = keyof typeof otherSourceFormats;

/** The source whose field names the first record has, or undefined when none recognises them. */
export function detectOtherSource(
  firstRecordFields: Record<string, unknown>,
): OtherSourceName | undefined {
  for (const [name, format] of Object.entries(otherSourceFormats)) {
    if (format.detect(firstRecordFields)) return name as OtherSourceName;
  }
  return undefined;
}
