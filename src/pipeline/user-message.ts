import { z } from 'zod';

/**
 * The WorkOS password hash types the API accepts (WorkOS create-user reference). The Node SDK's
 * `PasswordHashType` lacks `pbkdf2`, so the adapter casts when it passes this value on.
 */
export const passwordHashTypes = [
  'bcrypt',
  'scrypt',
  'firebase-scrypt',
  'ssha',
  'pbkdf2',
  'argon2',
] as const;
export type PasswordHashType = (typeof passwordHashTypes)[number];

/**
 * One user as every source normalises it: what WorkOS should hold for them, keyed by the
 * identifier the source system gave them.
 */
export const importUserSchema = z.object({
  /** The user's id in the source system (Auth0 `user_id`). Stable: the idempotency key. */
  sourceId: z.string().min(1),
  /** WorkOS `external_id`: the source id, or a deterministic stand-in when it is too long. */
  externalId: z.string().min(1).max(64),
  email: z.string().min(3),
  /** Exactly as exported: an import never upgrades an unverified email. */
  emailVerified: z.boolean(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  passwordHash: z.string().optional(),
  passwordHashType: z.enum(passwordHashTypes).optional(),
  /** The source system, recorded on the WorkOS user's metadata (`auth0`, `csv`...). */
  source: z.string().min(1),
  /**
   * Source details kept on the WorkOS user (provider, original id, source metadata), already
   * fitted to WorkOS's limits by `fitMetadata`.
   */
  metadata: z.record(z.string(), z.string()).optional(),
  /**
   * What the operator must know about this user, reported as the outcome's reason: e.g.
   * `password_reset_required:unsupported_hash` when the export's hash cannot be imported.
   * Several notes are joined with `;`. Codes and counts only: never a value from the export.
   */
  note: z
    .string()
    .regex(/^[a-z0-9_:.;-]{1,200}$/)
    .optional(),
});
export type ImportUser = z.infer<typeof importUserSchema>;

/** Where a record came from: enough for an operator to find it again in the export. */
export const recordOriginSchema = z.object({
  jobId: z.string().min(1),
  sourceFile: z.string().min(1),
  /** 1-based line (or record) number in the source file. */
  line: z.number().int().positive(),
});
export type RecordOrigin = z.infer<typeof recordOriginSchema>;

/** The body of one queue message: one user to import, and where it came from. */
export const userMessageSchema = z.object({
  version: z.literal(1),
  origin: recordOriginSchema,
  user: importUserSchema,
  /**
   * How many times the message was put back on the queue because WorkOS asked us to slow down.
   * Deferrals are re-sent as new messages so they do not use up the receive count that decides
   * when a failing record goes to the dead-letter queue.
   */
  deferrals: z.number().int().nonnegative().default(0),
});
export type UserMessage = z.infer<typeof userMessageSchema>;

export function serializeUserMessage(message: UserMessage): string {
  return JSON.stringify(message);
}
