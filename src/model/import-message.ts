import { z } from 'zod';

/**
 * The WorkOS password hash types the API accepts (WorkOS create-user reference and its OpenAPI
 * description). The Node SDK's `PasswordHashType` lags behind (no `pbkdf2`, no `ssha256`): the
 * WorkOS adapter sends those through the SDK's own request method.
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

/**
 * Where an `ssha256` hash's salt went (WorkOS `password_salt_position`): `prefix` is
 * sha256(salt + password), `suffix` sha256(password + salt), WorkOS's default. Only `ssha256`
 * takes one.
 */
export const passwordSaltPositions = ['prefix', 'suffix'] as const;
export type PasswordSaltPosition = (typeof passwordSaltPositions)[number];

/** The one hash type a salt position belongs to. */
export const saltPositionHashType = 'ssha256' satisfies PasswordHashType;

/**
 * One user as every source normalises it: what WorkOS should hold for them, keyed by the
 * identifier the source system gave them.
 */
export const importUserSchema = z
  .object({
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
    /** Only with `passwordHashType: 'ssha256'`; absent means WorkOS's default (`suffix`). */
    passwordSaltPosition: z.enum(passwordSaltPositions).optional(),
    /**
     * The user most likely exists in WorkOS already (a password-hash export read on its own, after
     * the users): look up before writing, so the import costs one write (an update), not two (a
     * refused create, then the update).
     */
    existingLikely: z.boolean().optional(),
    /**
     * The record comes from a password-hash export with no record of its own in a users export
     * (the password export imported alone, or a job that opts in to importing such records). Its
     * hash must never attach to another user: when another WorkOS user holds its email, the
     * record is rejected, not merged.
     */
    onlyInPasswordExport: z.boolean().optional(),
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
  })
  .refine(
    (user) =>
      user.passwordSaltPosition === undefined || user.passwordHashType === saltPositionHashType,
    {
      path: ['passwordSaltPosition'],
      message: `A password salt position goes only with the ${saltPositionHashType} hash type`,
    },
  );
export type ImportUser = z.infer<typeof importUserSchema>;

/**
 * One organization as every source normalises it (Auth0: an item of the Management API's
 * organizations list), keyed by the source's id as WorkOS external id.
 */
export const importOrganizationSchema = z.object({
  sourceId: z.string().min(1),
  externalId: z.string().min(1).max(64),
  name: z.string().min(1),
  /** Domains to attach, as `pending`: the import never claims a domain is verified. */
  domains: z.array(z.string().min(1)).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  source: z.string().min(1),
  /** What the operator must know (`metadata_not_imported:2`), as for users. */
  note: z
    .string()
    .regex(/^[a-z0-9_:.;-]{1,200}$/)
    .optional(),
});
export type ImportOrganization = z.infer<typeof importOrganizationSchema>;

/**
 * One user's membership of one organization, naming both by their WorkOS external ids: the
 * consumer finds them in WorkOS, and retries later while either is not there yet.
 */
export const importMembershipSchema = z.object({
  /** `<organization source id>/<user source id>`: unique per membership. */
  sourceId: z.string().min(1),
  userExternalId: z.string().min(1).max(64),
  organizationExternalId: z.string().min(1).max(64),
  /** WorkOS role slugs, already mapped from the source's role names; empty: the default role. */
  roleSlugs: z.array(z.string().min(1)),
  source: z.string().min(1),
  note: z
    .string()
    .regex(/^[a-z0-9_:.;-]{1,200}$/)
    .optional(),
});
export type ImportMembership = z.infer<typeof importMembershipSchema>;

/** Positions of file n start at n × 2^32: a file may hold 4 billion lines. */
export const filePositionStride = 2 ** 32;

/** 2^53 / 2^32: positions stay exact integers. */
export const maxFilesPerJob = 2 ** 21 - 1;

/** Where a record came from: enough for an operator to find it again in the export. */
export const recordOriginSchema = z.object({
  jobId: z.string().min(1),
  sourceFile: z.string().min(1),
  /**
   * 1-based line the record starts on (NDJSON, CSV), or its element number in a JSON array.
   */
  line: z.number().int().positive(),
  /** The file's index in a job of several files (a manifest); absent for a one-file job. */
  file: z.number().int().nonnegative().max(maxFilesPerJob).optional(),
});
export type RecordOrigin = z.infer<typeof recordOriginSchema>;

/**
 * A record's key within its job: its line, offset by its file's index in a job of several files,
 * so every record of every file has its own ledger entry and split progress is one number.
 */
export function recordPosition(origin: Pick<RecordOrigin, 'line' | 'file'>): number {
  return (origin.file ?? 0) * filePositionStride + origin.line;
}

/** Per-job choices that the consumer honours for each record of the job. */
export const jobOptionsSchema = z.object({
  /**
   * Update users that exist in WorkOS but were not created by this tool (like the `upsert` flag
   * of Auth0's import jobs). Off: such users are linked and reported, never overwritten.
   */
  overwriteExistingUsers: z.boolean().optional(),
  /** Send a WorkOS password-reset email to imported users who have no usable password hash. */
  sendPasswordResets: z.boolean().optional(),
});
export type JobOptions = z.infer<typeof jobOptionsSchema>;

const messageEnvelope = {
  version: z.literal(1),
  origin: recordOriginSchema,
  /**
   * Other records settled by this one: the password-export line joined into this user, which
   * ends in the same state as the user.
   */
  joined: z.array(recordOriginSchema).max(10).optional(),
  options: jobOptionsSchema.optional(),
  /**
   * How many times the message was put back on the queue to wait (WorkOS asked us to slow
   * down, or something it depends on is not imported yet). Deferrals are re-sent as new
   * messages so they do not use up the receive count that decides when a failing record goes to
   * the dead-letter queue.
   */
  deferrals: z.number().int().nonnegative().default(0),
};

/** One user to import, and where it came from. */
export const userMessageSchema = z.object({
  ...messageEnvelope,
  kind: z.literal('user').default('user'),
  user: importUserSchema,
  /**
   * Set on the copy re-sent when the user was written but the password-reset email had to wait
   * (a 429): the copy only sends the email, then records the user's outcome as it was.
   */
  passwordResetPending: z
    .object({ status: z.enum(['created', 'updated', 'unchanged']), workosUserId: z.string() })
    .optional(),
});
export type UserMessage = z.input<typeof userMessageSchema>;

export const organizationMessageSchema = z.object({
  ...messageEnvelope,
  kind: z.literal('organization'),
  organization: importOrganizationSchema,
});
export type OrganizationMessage = z.input<typeof organizationMessageSchema>;

export const membershipMessageSchema = z.object({
  ...messageEnvelope,
  kind: z.literal('membership'),
  membership: importMembershipSchema,
});
export type MembershipMessage = z.input<typeof membershipMessageSchema>;

/**
 * A user the source marks blocked, in a job that does not import blocked users. Nothing is
 * created; but a WorkOS user that this tool created for them earlier (from a password export
 * read before the users export, say) must not stay able to sign in: the consumer removes it
 * while it has never signed in, and reports it otherwise. Carries no email, name or hash.
 */
export const blockedUserSchema = z.object({
  sourceId: z.string().min(1),
  externalId: z.string().min(1).max(64),
  /** The source (`auth0`...), compared with the WorkOS user's `import_source` metadata. */
  source: z.string().min(1),
});
export type BlockedUser = z.infer<typeof blockedUserSchema>;

export const blockedUserMessageSchema = z.object({
  ...messageEnvelope,
  kind: z.literal('blocked_user'),
  blockedUser: blockedUserSchema,
});
export type BlockedUserMessage = z.input<typeof blockedUserMessageSchema>;

/**
 * A WorkOS user this tool imported from the job's source that the job's export no longer holds
 * (deleted or blocked in the source since the import), in a job that asked to remove such users.
 * Named by its WorkOS id, from the environment's snapshot: nothing of the person travels.
 */
export const absentUserSchema = z.object({
  workosUserId: z.string().min(1),
  /** The job's source, compared with the WorkOS user's `import_source` metadata again. */
  source: z.string().min(1),
  /** Remove the user even when they have signed in to WorkOS since the import. */
  removeSignedIn: z.boolean().optional(),
  /** The user had signed in when the snapshot listed them (the consumer reads them again). */
  signedInWhenListed: z.boolean().optional(),
});
export type AbsentUser = z.infer<typeof absentUserSchema>;

export const absentUserMessageSchema = z.object({
  ...messageEnvelope,
  kind: z.literal('absent_user'),
  absentUser: absentUserSchema,
});
export type AbsentUserMessage = z.input<typeof absentUserMessageSchema>;

/** The body of one queue message. Messages without `kind` are users (the first version). */
export const importMessageSchema = z.union([
  userMessageSchema,
  organizationMessageSchema,
  membershipMessageSchema,
  blockedUserMessageSchema,
  absentUserMessageSchema,
]);
export type ImportMessage =
  | UserMessage
  | OrganizationMessage
  | MembershipMessage
  | BlockedUserMessage
  | AbsentUserMessage;
export type ParsedImportMessage = z.output<typeof importMessageSchema>;

/** The source id of whatever the message imports: for the ledger and the dead-letter report. */
export function sourceIdOf(message: ImportMessage): string {
  if ('user' in message) return message.user.sourceId;
  if ('organization' in message) return message.organization.sourceId;
  if ('blockedUser' in message) return message.blockedUser.sourceId;
  if ('absentUser' in message) return message.absentUser.workosUserId;
  return message.membership.sourceId;
}

export function serializeImportMessage(message: ImportMessage): string {
  return JSON.stringify(message);
}
