import {
  BadRequestException,
  ConflictException,
  GenericServerException,
  NotFoundException,
  OauthException,
  RateLimitExceededException,
  UnauthorizedException,
  UnprocessableEntityException,
} from '@workos-inc/node';
import {
  DuplicateMembershipError,
  DuplicateOrganizationError,
  DuplicateUserError,
  PermanentImportError,
  type PipelineError,
  RateLimitedError,
  TransientImportError,
  WorkOsAuthenticationError,
} from '../errors.ts';

/** When WorkOS sends a 429 without a usable Retry-After, wait this long (WorkOS's tools use 10 s). */
const defaultRetryAfterSeconds = 10;

/**
 * Turns whatever the WorkOS SDK threw into the pipeline's error vocabulary. This is the one place
 * that knows WorkOS's exception classes and error codes. Reasons are built only from WorkOS error
 * codes and HTTP statuses, never from messages, which can echo the submitted data.
 */
export function classifyWorkOsError(error: unknown): PipelineError {
  const options = { cause: error };

  if (error instanceof RateLimitExceededException) {
    const retryAfter = error.retryAfter;
    const seconds =
      retryAfter !== null && Number.isFinite(retryAfter) && retryAfter > 0
        ? Math.ceil(retryAfter)
        : defaultRetryAfterSeconds;
    return new RateLimitedError(seconds, options);
  }
  if (error instanceof UnauthorizedException) {
    return new WorkOsAuthenticationError(
      'workos_unauthorized',
      'WorkOS rejected the API key',
      options,
    );
  }
  if (error instanceof BadRequestException) {
    const detailCodes = errorCodesOf(error.errors);
    if (error.code === 'user_creation_error' && detailCodes.includes('email_not_available')) {
      return new DuplicateUserError('email', options);
    }
    if (error.code === 'user_creation_error' && detailCodes.includes('external_id_already_used')) {
      return new DuplicateUserError('external_id', options);
    }
    return permanent(400, error.code, detailCodes, options);
  }
  if (error instanceof ConflictException) {
    // Older WorkOS versions answered a duplicate user with 409 `user_already_exists`.
    if (error.code === 'user_already_exists') return new DuplicateUserError('unknown', options);
    return permanent(409, error.code, [], options);
  }
  if (error instanceof UnprocessableEntityException) {
    // The SDK drops `errors[]` on 422 and folds the codes into the message, one per line.
    return permanent(422, error.code, codesFromRequirementMessage(error.message), options);
  }
  if (error instanceof NotFoundException) {
    // A user found a moment ago and gone now: another writer deleted it. Retrying re-creates it.
    return new TransientImportError('workos_user_vanished', 'WorkOS user not found', options);
  }
  if (error instanceof OauthException && error.status === 408) {
    return new TransientImportError('workos_timeout', 'WorkOS request timed out', options);
  }
  if (error instanceof GenericServerException) {
    if (error.status === 403) {
      return new WorkOsAuthenticationError(
        'workos_forbidden',
        'The WorkOS API key lacks permission for user management',
        options,
      );
    }
    if (error.status >= 500 || error.status === 408) {
      return new TransientImportError(
        `workos_${error.status}`,
        `WorkOS answered ${error.status}`,
        options,
      );
    }
    return permanent(error.status, error.code, [], options);
  }
  if (error instanceof OauthException) {
    if (error.status === 401 || error.status === 403) {
      return new WorkOsAuthenticationError(
        error.status === 401 ? 'workos_unauthorized' : 'workos_forbidden',
        'WorkOS refused the API key',
        options,
      );
    }
    return permanent(error.status, error.error, [], options);
  }
  if (isNetworkOrParseFailure(error)) {
    return new TransientImportError('workos_unreachable', 'WorkOS could not be reached', options);
  }
  return new TransientImportError('workos_unexpected_error', 'Unexpected WorkOS failure', options);
}

function permanent(
  status: number,
  code: string | undefined,
  detailCodes: string[],
  options: { cause: unknown },
): PermanentImportError {
  const parts = [`workos_${status}`, code, ...detailCodes].filter(isSafeCode);
  return new PermanentImportError(parts.join(':'), `WorkOS refused the user (${status})`, options);
}

/** WorkOS error codes are snake_case identifiers; anything else is dropped rather than logged. */
function isSafeCode(code: string | undefined): code is string {
  return code !== undefined && /^[a-z0-9_]{1,64}$/.test(code);
}

function errorCodesOf(errors: unknown[] | undefined): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null || !('code' in entry)) return [];
    return typeof entry.code === 'string' ? [entry.code] : [];
  });
}

function codesFromRequirementMessage(message: string): string[] {
  return message
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => isSafeCode(line));
}

/**
 * After its own retry layer the SDK wraps a fetch `TypeError` (network) or a `ParseError` (a
 * non-JSON body, such as a proxy's HTML 502) in a plain `Error("Unexpected error: ...")`.
 */
function isNetworkOrParseFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TypeError || error.cause instanceof TypeError) return true;
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return true;
  return error.message.startsWith('Unexpected error');
}

/*
 * Answers only the organization and membership calls can give, recognised before the shared
 * classification above (see `callWorkOs` in organization-directory.ts).
 */

/**
 * A create-organization conflict on the external id: 409 (the SDK documents `ConflictException`
 * for this call), or a 400 whose details say `external_id_already_used` as for users.
 */
export function duplicateOrganizationOf(error: unknown): DuplicateOrganizationError | undefined {
  if (error instanceof ConflictException) {
    const code = error.code;
    if (code === undefined || code.includes('external_id')) {
      return new DuplicateOrganizationError({ cause: error });
    }
    return undefined;
  }
  if (
    error instanceof BadRequestException &&
    detailCodesOf(error).includes('external_id_already_used')
  ) {
    return new DuplicateOrganizationError({ cause: error });
  }
  return undefined;
}

/**
 * WorkOS documents no error shape for an existing membership. The emulator answers 409, and
 * WorkOS's own migration tools recognise it by 409 or by the message ("already a member",
 * "membership already exists"). The message is only matched, never logged or kept.
 */
export function duplicateMembershipOf(error: unknown): DuplicateMembershipError | undefined {
  if (error instanceof ConflictException) return new DuplicateMembershipError({ cause: error });
  if (!isClientErrorAnswer(error)) return undefined;
  const codes = [codeOf(error), ...detailCodesOf(error)];
  if (
    codes.some((code) => code !== undefined && /already_(a_)?member|membership_exists/.test(code))
  ) {
    return new DuplicateMembershipError({ cause: error });
  }
  if (/already a member|membership already exists/i.test(error.message)) {
    return new DuplicateMembershipError({ cause: error });
  }
  return undefined;
}

/**
 * A role slug WorkOS does not know. Retrying cannot help: the operator creates the role in
 * WorkOS, or maps the source's role name to an existing slug, then re-drives the record.
 *
 * UNVERIFIED: WorkOS documents no error for this, and the emulator accepts any slug. Any 4xx
 * whose code names a role that is missing or invalid, or whose message says a role was not
 * found or does not exist, is taken as this answer.
 */
export function roleNotFoundOf(error: unknown): PermanentImportError | undefined {
  if (!isClientErrorAnswer(error)) return undefined;
  const codes = [codeOf(error), ...detailCodesOf(error)].filter(
    (code): code is string => code !== undefined,
  );
  const codeSaysRoleMissing = codes.some(
    (code) =>
      code.includes('role') && /not_found|does_not_exist|unknown|invalid_role|nonexist/.test(code),
  );
  const messageSaysRoleMissing =
    /\brole\b[^\n]{0,80}\b(not found|does not exist|doesn't exist|is invalid|unknown)\b/i.test(
      error.message,
    ) || /\b(unknown|invalid|nonexistent) role\b/i.test(error.message);
  if (!codeSaysRoleMissing && !messageSaysRoleMissing) return undefined;
  return new PermanentImportError(
    'role_not_found',
    'WorkOS has no role with a slug this membership names; create the role or map it',
    { cause: error },
  );
}

type ClientErrorAnswer =
  | BadRequestException
  | NotFoundException
  | UnprocessableEntityException
  | GenericServerException
  | OauthException;

/** A 4xx answer other than 401, 403 and 429, which mean the same for every call. */
function isClientErrorAnswer(error: unknown): error is ClientErrorAnswer {
  if (
    error instanceof BadRequestException ||
    error instanceof NotFoundException ||
    error instanceof UnprocessableEntityException
  ) {
    return true;
  }
  if (error instanceof GenericServerException || error instanceof OauthException) {
    return (
      error.status >= 400 &&
      error.status < 500 &&
      error.status !== 401 &&
      error.status !== 403 &&
      error.status !== 429
    );
  }
  return false;
}

function codeOf(error: ClientErrorAnswer): string | undefined {
  if (error instanceof OauthException) return error.error;
  return error.code;
}

/** `errors[].code` where the SDK keeps them (400); a 422 folds them into its message. */
function detailCodesOf(error: ClientErrorAnswer): string[] {
  if (error instanceof BadRequestException) return errorCodesOf(error.errors);
  if (error instanceof UnprocessableEntityException) {
    return codesFromRequirementMessage(error.message);
  }
  return [];
}
