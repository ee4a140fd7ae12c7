import { createClerkUserMapper } from './clerk-users.ts';
import { createCognitoUserMapper } from './cognito-users.ts';
import { createFirebaseUserMapper, type FirebaseHashParameters } from './firebase-users.ts';
import { createGenericUserMapper, genericColumnNames } from './generic-users.ts';
import type { RecordMapper } from './parsed-record.ts';
import { createSupabaseUserMapper } from './supabase-users.ts';

/** Per-job choices for the other services' exports. */
export interface OtherSourceOptions {
  /** The Firebase project's password hash parameters; without them users import without passwords. */
  firebase?: FirebaseHashParameters;
  /** Import users the source has disabled (they could then sign in); rejected by default. */
  importBlockedUsers?: boolean;
}

/** How a source's export is laid out, as a hint to the reader that decodes its records. */
export type ExportLayoutHint = 'csv' | 'json-array' | 'ndjson' | 'any';

export interface OtherSourceFormat {
  layoutHint: ExportLayoutHint;
  /**
   * When the export is one JSON object rather than an array: the key of the array that holds the
   * records (Firebase `auth:export` writes `{ "users": [...] }`, Cognito's CLI `{ "Users": [...] }`).
   */
  jsonRecordsKey?: string;
  createMapper: (options: OtherSourceOptions) => RecordMapper;
  /** Whether the first record's field names are this source's. */
  detect: (firstRecordFields: Record<string, unknown>) => boolean;
}

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
