/**
 * The password hash types WorkOS's create/update-user API accepts (its API reference and
 * published OpenAPI description), as the emulator holds them. The emulator states the API's
 * contract on its own, never the importer's view of it, so a drift between the two shows up as a
 * refused request in the tests.
 */
export const passwordHashTypes = [
  'bcrypt',
  'scrypt',
  'firebase-scrypt',
  'ssha',
  'ssha256',
  'pbkdf2',
  'argon2',
] as const;
export type PasswordHashType = (typeof passwordHashTypes)[number];

/** `password_salt_position`: `prefix` is sha256(salt + password), `suffix` (the default) the other. */
export const passwordSaltPositions = ['prefix', 'suffix'] as const;
export type PasswordSaltPosition = (typeof passwordSaltPositions)[number];

/** The one hash type that takes a salt position. */
export const saltPositionHashType = 'ssha256' satisfies PasswordHashType;
