import type { PasswordHashType } from '../model/import-message.ts';
import { isBlankRecord, sourceMetadataOf, sourceUserRecord } from './generic-users.ts';
import { nonEmptyString, type ParsedRecord, type RecordMapper } from './parsed-record.ts';
import {
  firebaseScryptPhc,
  inferHashType,
  normalizeHashType,
  type PasswordFields,
  passwordFieldsFor,
  pbkdf2PhcFromModular,
  resetNote,
} from './password-hashes.ts';

/**
 * Maps one row of Clerk's dashboard CSV export (Settings → User exports; reference D.6), keyed by
 * its header: `id,first_name,last_name,username,primary_email_address,primary_phone_number,
 * verified_email_addresses,unverified_email_addresses,verified_phone_numbers,
 * unverified_phone_numbers,totp_secret,password_digest,password_hasher`.
 *
 * `id` → source id. The email is `primary_email_address`, else the first verified address, else
 * the first unverified one (lists are `|`-separated); it is verified only when it is among
 * `verified_email_addresses`. WorkOS holds one email per user: other addresses are counted in an
 * `additional_emails_not_imported:<n>` note. A `totp_secret` is never read beyond its presence:
 * the user is noted `mfa_reenrolment_required`.
 */
export function createClerkUserMapper(): RecordMapper {
  return clerkUserFromRecord;
}

/** Keys of the Clerk facts every user may carry. */
export const clerkMetadataKeys = {
  username: 'clerk_username',
} as const;

function addressesOf(value: unknown): string[] {
  return (nonEmptyString(value)?.split('|') ?? [])
    .map((address) => address.trim())
    .filter((address) => address !== '');
}

function clerkUserFromRecord(record: Record<string, unknown>): ParsedRecord | undefined {
  if (isBlankRecord(record)) return undefined;
  const sourceId = nonEmptyString(record.id);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };

  const verified = addressesOf(record.verified_email_addresses);
  const unverified = addressesOf(record.unverified_email_addresses);
  const email = nonEmptyString(record.primary_email_address) ?? verified[0] ?? unverified[0];
  const verifiedKeys = new Set(verified.map((address) => address.toLowerCase()));
  const otherAddresses = new Set(
    [...verified, ...unverified]
      .map((address) => address.toLowerCase())
      .filter((address) => address !== email?.toLowerCase()),
  );

  return sourceUserRecord({
    sourceId,
    email,
    emailVerified: email !== undefined && verifiedKeys.has(email.toLowerCase()),
    firstName: nonEmptyString(record.first_name),
    lastName: nonEmptyString(record.last_name),
    password: clerkPasswordOf(
      nonEmptyString(record.password_digest),
      nonEmptyString(record.password_hasher),
    ),
    source: 'clerk',
    metadata: sourceMetadataOf(
      sourceId,
      [[clerkMetadataKeys.username, nonEmptyString(record.username)]],
      [],
    ),
    notes: [
      // Clerk's TOTP secret is not carried over: the user enrols a new factor in WorkOS.
      nonEmptyString(record.totp_secret) === undefined ? undefined : 'mfa_reenrolment_required',
      otherAddresses.size > 0 ? `additional_emails_not_imported:${otherAddresses.size}` : undefined,
    ],
  });
}

/**
 * bcrypt and argon2 digests are already in WorkOS's layout and go through as-is. Clerk's
 * `pbkdf2_sha256`, `pbkdf2_sha256_django` and `scrypt_firebase` digests are reshaped into
 * WorkOS's PHC layouts (reference C.2), never rehashed. UNVERIFIED: the source layouts are the
 * ones Clerk's Backend API documents for importing digests (`pbkdf2_sha256$<iterations>$<salt>$
 * <hash>` with a base64 salt, or the Django salt text; `<hash>$<salt>$<signer key>$<salt
 * separator>$<rounds>$<memory cost>`); that its dashboard export writes them back the same way is
 * assumed, not seen in a real export. Every other hasher (md5, sha256, phpass, pbkdf2_sha1...) is
 * one WorkOS cannot take: the user is noted for a reset.
 */
function clerkPasswordOf(digest: string | undefined, hasher: string | undefined): PasswordFields {
  if (digest === undefined) return passwordFieldsFor(undefined, undefined);
  switch (hasher?.toLowerCase()) {
    case undefined:
      return passwordFieldsFor(inferHashType(digest), digest);
    case 'pbkdf2_sha256':
      return reshaped('pbkdf2', pbkdf2PhcFromModular(digest, 'base64'));
    case 'pbkdf2_sha256_django':
      return reshaped('pbkdf2', pbkdf2PhcFromModular(digest, 'text'));
    case 'scrypt_firebase':
      return reshaped('firebase-scrypt', firebasePhcFromClerk(digest));
    default:
      return passwordFieldsFor(normalizeHashType(hasher ?? ''), digest);
  }
}

function reshaped(type: PasswordHashType, phc: string | undefined): PasswordFields {
  return phc === undefined ? resetNote('unsupported_hash_format') : passwordFieldsFor(type, phc);
}

function firebasePhcFromClerk(digest: string): string | undefined {
  const parts = digest.split('$');
  if (parts.length !== 6) return undefined;
  const [hash, salt, signerKey, saltSeparator, rounds, memoryCost] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^[1-9]\d{0,2}$/.test(rounds) || !/^[1-9]\d{0,2}$/.test(memoryCost)) return undefined;
  return firebaseScryptPhc(
    { signerKey, saltSeparator, rounds: Number(rounds), memoryCost: Number(memoryCost) },
    salt,
    hash,
  );
}
