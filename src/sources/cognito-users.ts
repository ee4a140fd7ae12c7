import {
  isBlankRecord,
  namesFromFullName,
  sourceMetadataOf,
  sourceUserRecord,
} from './generic-users.ts';
import {
  type ExportFormatOptions,
  nonEmptyString,
  type ParsedRecord,
  type RecordMapper,
} from './parsed-record.ts';
import { resetNote } from './password-hashes.ts';

/**
 * Maps one user of Cognito's ListUsers answer (an element of `Users`, as
 * `aws cognito-idp list-users` prints it; reference D.5) to an import user.
 *
 * Attributes are name/value pairs of strings: `sub` → source id (`Username` when there is no
 * `sub`), `email`, `email_verified` (`"true"` only), `given_name`/`family_name` (else `name` split
 * when unambiguous), and `custom:<name>` attributes kept in metadata while they fit. `UserStatus`
 * is kept in metadata; `EXTERNAL_PROVIDER` users are recorded as federated, with their identity
 * provider when the `identities` attribute names it.
 *
 * Cognito exports no password hashes: every user is noted
 * `password_reset_required:no_password_export`. Disabled users (`Enabled: false`) are rejected
 * `blocked`, unless `importBlockedUsers`: then imported and noted `blocked_in_source`.
 */
export function createCognitoUserMapper(options: ExportFormatOptions = {}): RecordMapper {
  return (fields) => cognitoUserFromRecord(fields, options);
}

/** Keys of the Cognito facts every user may carry. */
export const cognitoMetadataKeys = {
  userStatus: 'cognito_user_status',
  federated: 'cognito_federated',
  provider: 'cognito_provider',
} as const;

/** `Attributes` as a map; entries that are not a string pair are ignored. */
function attributesOf(value: unknown): Map<string, string> {
  const attributes = new Map<string, string>();
  if (!Array.isArray(value)) return attributes;
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { Name, Value } = entry as Record<string, unknown>;
    if (typeof Name === 'string' && typeof Value === 'string') attributes.set(Name, Value);
  }
  return attributes;
}

function cognitoUserFromRecord(
  record: Record<string, unknown>,
  options: ExportFormatOptions,
): ParsedRecord | undefined {
  if (isBlankRecord(record)) return undefined;
  const attributes = attributesOf(record.Attributes);
  const sourceId = nonEmptyString(attributes.get('sub')) ?? nonEmptyString(record.Username);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_user_id' };
  const disabled = record.Enabled === false;
  if (disabled && !options.importBlockedUsers) {
    return { kind: 'rejected', reason: 'blocked', sourceId };
  }

  const givenName = nonEmptyString(attributes.get('given_name'));
  const familyName = nonEmptyString(attributes.get('family_name'));
  const names =
    givenName === undefined && familyName === undefined
      ? namesFromFullName(attributes.get('name'))
      : { firstName: givenName, lastName: familyName };
  const status = nonEmptyString(record.UserStatus);
  const federated = status === 'EXTERNAL_PROVIDER';
  const customAttributes = [...attributes].filter(([name]) => name.startsWith('custom:'));

  return sourceUserRecord({
    sourceId,
    email: nonEmptyString(attributes.get('email')),
    emailVerified: attributes.get('email_verified')?.trim().toLowerCase() === 'true',
    ...names,
    // Neither hashes nor MFA secrets leave Cognito (reference D.5).
    password: resetNote('no_password_export'),
    source: 'cognito',
    metadata: sourceMetadataOf(
      sourceId,
      [
        [cognitoMetadataKeys.userStatus, status],
        [cognitoMetadataKeys.federated, federated ? 'true' : undefined],
        [cognitoMetadataKeys.provider, federated ? providerNameOf(attributes) : undefined],
      ],
      customAttributes,
    ),
    notes: [
      disabled ? 'blocked_in_source' : undefined,
      Array.isArray(record.MFAOptions) && record.MFAOptions.length > 0
        ? 'mfa_reenrolment_required'
        : undefined,
    ],
  });
}

/**
 * The identity provider of a federated user, from the `identities` attribute: a JSON text of a
 * list of `{ providerName, providerType, userId, ... }`.
 */
function providerNameOf(attributes: Map<string, string>): string | undefined {
  const text = attributes.get('identities');
  if (text === undefined) return undefined;
  let identities: unknown;
  try {
    identities = JSON.parse(text);
  } catch {
    return undefined;
  }
  const identity = Array.isArray(identities) ? identities[0] : undefined;
  return typeof identity === 'object' && identity !== null
    ? nonEmptyString((identity as Record<string, unknown>).providerName)
    : undefined;
}
