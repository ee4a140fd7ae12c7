/**
 * The pipeline's error vocabulary. The WorkOS adapter turns every WorkOS or network failure into
 * one of these; the consumer's retry policy reads only these names. Every error carries a short
 * `reason` code that is safe to log and to store beside a dead-lettered message: reasons never
 * contain an email, a name, a hash or a key.
 */
export class PipelineError extends Error {
  override name = 'PipelineError';
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * WorkOS already holds a user with this email or external id. Not a failure of the import: the
 * upsert resolves the existing user and reconciles it.
 */
export class DuplicateUserError extends PipelineError {
  override name = 'DuplicateUserError';
  /** Which unique field collided, when WorkOS says (the legacy 409 answer does not). */
  readonly conflict: 'email' | 'external_id' | 'unknown';

  constructor(conflict: 'email' | 'external_id' | 'unknown', options?: { cause?: unknown }) {
    super(`duplicate_${conflict}`, `WorkOS already has a user with this ${conflict}`, options);
    this.conflict = conflict;
  }
}

/** WorkOS already has an organization with this external id: the upsert reconciles it. */
export class DuplicateOrganizationError extends PipelineError {
  override name = 'DuplicateOrganizationError';

  constructor(options?: { cause?: unknown }) {
    super(
      'duplicate_organization_external_id',
      'WorkOS already has an organization with this external id',
      options,
    );
  }
}

/** The user is already a member of the organization (in any status). */
export class DuplicateMembershipError extends PipelineError {
  override name = 'DuplicateMembershipError';

  constructor(options?: { cause?: unknown }) {
    super('duplicate_membership', 'The user is already a member of this organization', options);
  }
}

/** Retrying cannot help (WorkOS refused the data): straight to the dead-letter queue. */
export class PermanentImportError extends PipelineError {
  override name = 'PermanentImportError';
}

/** Worth another try later: 5xx, timeouts, network failures. */
export class TransientImportError extends PipelineError {
  override name = 'TransientImportError';
}

/** WorkOS answered 429: wait `retryAfterSeconds` before any further write. */
export class RateLimitedError extends PipelineError {
  override name = 'RateLimitedError';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, options?: { cause?: unknown }) {
    super('rate_limited', `WorkOS rate limit reached; retry after ${retryAfterSeconds}s`, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The record depends on something WorkOS does not hold yet: a membership whose user or
 * organization is still on its way through the queue. Not the record's fault and not a WorkOS
 * failure: the record waits (re-sent with a delay, like a 429, without using up its receives)
 * and fails with its reason only after waiting far longer than any import takes.
 */
export class DependencyNotReadyError extends PipelineError {
  override name = 'DependencyNotReadyError';
  readonly retryAfterSeconds: number;

  constructor(reason: string, message: string, retryAfterSeconds = 60) {
    super(reason, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * This instance's write pacer has no slot free soon enough (a deep backlog, or a long pause
 * after a 429): the record waits on the queue instead of holding a Lambda open. If it keeps
 * waiting past every deferral allowed, it fails as `rate_limited_too_long`.
 */
export class WriteSlotUnavailableError extends DependencyNotReadyError {
  override name = 'WriteSlotUnavailableError';

  constructor(retryAfterSeconds: number) {
    super('rate_limited_too_long', 'No WorkOS write slot free soon enough', retryAfterSeconds);
  }
}

/**
 * The API key is missing, invalid or lacks permission. Every record would fail the same way, so
 * the job stops loudly instead of dead-lettering each user.
 */
export class WorkOsAuthenticationError extends PipelineError {
  override name = 'WorkOsAuthenticationError';
}

/** A line of an export that cannot become a user (found while splitting, before any API call). */
export class InvalidRecordError extends PipelineError {
  override name = 'InvalidRecordError';
}

/** Configuration is missing or malformed: fail at start with one clear message. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type FailureClass = 'rate-limited' | 'not-ready' | 'transient' | 'permanent' | 'fatal';

/**
 * How the consumer must treat a failure. Anything the adapter did not classify is treated as
 * transient: a bug then shows up as retries ending in the dead-letter queue, never as a lost user.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof RateLimitedError) return 'rate-limited';
  if (error instanceof DependencyNotReadyError) return 'not-ready';
  if (error instanceof WorkOsAuthenticationError) return 'fatal';
  if (error instanceof PermanentImportError || error instanceof InvalidRecordError) {
    return 'permanent';
  }
  return 'transient';
}

/** The reason code to record for any failure, including ones nobody classified. */
export function failureReasonOf(error: unknown): string {
  if (error instanceof PipelineError) return error.reason;
  return 'unexpected_error';
}

/** Narrows a caught value: in JavaScript anything can be thrown. */
export function assertIsError(value: unknown): asserts value is Error {
  if (!(value instanceof Error)) throw value;
}
