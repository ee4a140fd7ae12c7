import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import {
  isBlankRecord,
  namesFromFullName,
  parsedJsonObject,
  sourceMetadataOf,
  sourceUserRecord,
} from './generic-users.ts';
import { nonEmptyString, type ParsedRecord, type RecordMapper } from './parsed-record.ts';
import {
  firebaseScryptPhc,
  firebaseScryptRanges,
  type PasswordFields,
  passwordFieldsFor,
  resetNote,
  toPhcB64,
} from './password-hashes.ts';

const base64Text = (what: string) =>
  z
    .string()
    .refine((value) => toPhcB64(value) !== undefined, { message: `${what} must be base64` });

/**
 * The project's password hash parameters, as the Firebase console shows them (Authentication →
 * Users → ⋮ → Password hash parameters): `base64_signer_key`, `base64_salt_separator`, `rounds`,
 * `mem_cost`. They are not in the export file.
 */
export const firebaseHashParametersSchema = z.object({
  signerKey: base64Text('signerKey'),
  saltSeparator: base64Text('saltSeparator'),
  rounds: z
    .number()
    .int()
    .min(firebaseScryptRanges.rounds.min)
    .max(firebaseScryptRanges.rounds.max),
  memoryCost: z
    .number()
    .int()
    .min(firebaseScryptRanges.memoryCost.min)
    .max(firebaseScryptRanges.memoryCost.max),
});
export type FirebaseHashParameters = z.infer<typeof firebaseHashParametersSchema>;

export interface FirebaseMapperOptions {
  /** Import users Firebase has disabled (they could then sign in); rejected as `blocked` by default. */
  importDisabledUsers?: boolean;
}

/**
 * Maps one user of `firebase auth:export --format=json` (an element of its `users` array) to an
 * import user (reference D.4).
 *
 * `localId` → source id; `email` and `emailVerified` exactly as exported; `displayName` split
 * into first and last name when unambiguous; the sign-in providers and `customAttributes` kept in
 * metadata. Users without an email (phone-only) are rejected `missing_email`; disabled users
 * `blocked`, unless `importDisabledUsers`: then imported and noted `blocked_in_source`. Enrolled
 * second factors cannot be exported: `mfa_reenrolment_required`.
 *
 * Without the project's hash parameters the users are still imported, without passwords, noted
 * `password_reset_required:missing_hash_parameters`. Wrong parameters throw a `ConfigError` at
 * once, before any record is read: every hash of the project would be wrong with them.
 */
export function createFirebaseUserMapper(
  parameters?: FirebaseHashParameters,
  options: FirebaseMapperOptions = {},
): RecordMapper {
  const settings = parameters === undefined ? undefined : validatedParameters(parameters);
  return (fields) => firebaseUserFromRecord(fields, settings, options);
}

function validatedParameters(parameters: unknown): FirebaseHashParameters {
  const result = firebaseHashParametersSchema.safeParse(parameters);
  if (result.success) return result.data;
  // Issue paths and messages only: zod's messages never carry the key itself.
  const problems = result.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new ConfigError(`Invalid Firebase hash parameters: ${problems}`);
}

/** Keys of the Firebase facts every user may carry. */
export const firebaseMetadataKeys = {
  providers: 'firebase_providers',
} as const;

function firebaseUserFromRecord(
  record: Record<string, unknown>,
  settings: FirebaseHashParameters | undefined,
  options: FirebaseMapperOptions,
): ParsedRecord | undefined {
  if (isBlankRecord(record)) return undefined;
  const sourceId = nonEmptyString(record.localId);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };
  const disabled = record.disabled === true;
  if (disabled && !options.importDisabledUsers) {
    return { kind: 'rejected', reason: 'blocked', sourceId };
  }
  const providers = providerIdsOf(record.providerUserInfo);
  const custom = customAttributesOf(record.customAttributes);
  return sourceUserRecord({
    sourceId,
    email: nonEmptyString(record.email),
    emailVerified: record.emailVerified === true,
    ...namesFromFullName(record.displayName),
    password: firebasePasswordOf(record, settings, providers),
    source: 'firebase',
    metadata: sourceMetadataOf(
      sourceId,
      [[firebaseMetadataKeys.providers, providers.length > 0 ? providers.join(',') : undefined]],
      custom.entries,
      custom.dropped,
    ),
    notes: [
      disabled ? 'blocked_in_source' : undefined,
      // Firebase exports no second-factor secrets: enrolled users must enrol again in WorkOS.
      Array.isArray(record.mfaInfo) && record.mfaInfo.length > 0
        ? 'mfa_reenrolment_required'
        : undefined,
    ],
  });
}

/**
 * The user's hash and salt with the project's parameters, in the PHC layout WorkOS documents for
 * `firebase-scrypt`. UNVERIFIED against a live WorkOS environment (reference C.2): this layout
 * follows WorkOS's Firebase guide and `@phc/format`, but WorkOS's own migration CLI emits a
 * different, `$`-separated layout; import Firebase's published test vector into a staging
 * environment and sign in with `authenticateWithPassword` before a real run.
 */
function firebasePasswordOf(
  record: Record<string, unknown>,
  settings: FirebaseHashParameters | undefined,
  providers: string[],
): PasswordFields {
  const hash = nonEmptyString(record.passwordHash);
  const salt = nonEmptyString(record.salt);
  if (hash === undefined) {
    // A user who only ever signed in with another provider has no password to lose.
    const signsInWithPassword = providers.length === 0 || providers.includes('password');
    return signsInWithPassword ? passwordFieldsFor(undefined, undefined) : {};
  }
  if (settings === undefined) return resetNote('missing_hash_parameters');
  const phc = salt === undefined ? undefined : firebaseScryptPhc(settings, salt, hash);
  return phc === undefined
    ? resetNote('unsupported_hash_format')
    : passwordFieldsFor('firebase-scrypt', phc);
}

function providerIdsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const ids = value
    .map((entry) =>
      typeof entry === 'object' && entry !== null
        ? nonEmptyString((entry as Record<string, unknown>).providerId)
        : undefined,
    )
    .filter((id) => id !== undefined);
  return [...new Set(ids)];
}

/** `customAttributes` is a JSON text of the user's custom claims: each kept as `claim.<name>`. */
function customAttributesOf(value: unknown): { entries: [string, unknown][]; dropped: number } {
  const text = nonEmptyString(value);
  if (text === undefined) return { entries: [], dropped: 0 };
  const claims = parsedJsonObject(text);
  if (claims === undefined) return { entries: [], dropped: 1 };
  return {
    entries: Object.entries(claims).map(([key, claim]) => [`claim.${key}`, claim]),
    dropped: 0,
  };
}
