import {
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorResponse,
  parseJsonObject,
  secretsMatch,
} from './http.ts';
import { newUserId } from './ids.ts';
import {
  hashPlainPassword,
  passwordVerifiers,
  UnsupportedPasswordHashTypeError,
} from './password-verifiers.ts';
import { createRefreshToken, createUnsignedAccessToken } from './session-tokens.ts';
import type { EmulatorCounters } from './stats.ts';
import {
  type EmulatedUser,
  type ListUsersQuery,
  toUserResponseBody,
  type UserStore,
} from './user-store.ts';
import {
  checkMetadataSize,
  mergeMetadata,
  type PasswordInput,
  parseNewUser,
  parseUserChanges,
  type ValidationIssue,
  validationFailed,
} from './user-validation.ts';

export interface UserManagementContext {
  store: UserStore;
  counters: EmulatorCounters;
  /** Answer duplicates the way WorkOS (and its emulator) did before: 409 `user_already_exists`. */
  legacyDuplicateErrors: boolean;
  /** When set, `client_secret` on authenticate must equal it, as WorkOS requires the API key. */
  apiKey: string | undefined;
  /** When set, `client_id` on authenticate must equal it. */
  clientId: string | undefined;
  /** The `iss` claim of access tokens: the emulator's own URL. */
  issuer: string;
  now: () => Date;
}

type RouteHandler = (
  context: UserManagementContext,
  request: EmulatorRequest,
  segments: string[],
) => Promise<EmulatorResponse>;

interface Route {
  method: string;
  /** Path segments after `/user_management`; `:param` matches any one segment. */
  pattern: string[];
  handle: RouteHandler;
}

const routes: Route[] = [
  { method: 'POST', pattern: ['users'], handle: createUser },
  { method: 'GET', pattern: ['users'], handle: listUsers },
  { method: 'GET', pattern: ['users', 'external_id', ':externalId'], handle: getUserByExternalId },
  { method: 'GET', pattern: ['users', ':id'], handle: getUser },
  { method: 'PUT', pattern: ['users', ':id'], handle: updateUser },
  { method: 'DELETE', pattern: ['users', ':id'], handle: deleteUser },
  { method: 'POST', pattern: ['authenticate'], handle: authenticate },
];

/** Dispatches one authorized, admitted request under `/user_management`. */
export async function routeUserManagementRequest(
  context: UserManagementContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const [empty, prefix, ...segments] = request.pathname.split('/');
  if (empty === '' && prefix === 'user_management') {
    for (const route of routes) {
      if (route.method === request.method && segmentsMatch(route.pattern, segments)) {
        return route.handle(context, request, segments);
      }
    }
  }
  return routeNotFound(request.pathname);
}

/** The 404 for a path the emulator does not serve. */
export function routeNotFound(pathname: string): EmulatorResponse {
  return {
    status: 404,
    body: { message: `The requested path '${pathname}' could not be found.`, code: 'not_found' },
  };
}

function segmentsMatch(pattern: string[], segments: string[]): boolean {
  return (
    pattern.length === segments.length &&
    pattern.every((part, index) => part.startsWith(':') || part === segments[index])
  );
}

/** The SDK percent-encodes path parameters (`auth0|x` arrives as `auth0%7Cx`). */
function pathParameter(segments: string[], index: number): string {
  const raw = segments[index] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new EmulatorHttpError(400, {
      message: 'Malformed path parameter.',
      code: 'invalid_path',
    });
  }
}

/** WorkOS's 404 for a missing entity; the SDK turns it into `NotFoundException` with this code. */
function userNotFound(id: string): EmulatorHttpError {
  return new EmulatorHttpError(404, {
    message: `User not found: '${id}'.`,
    code: 'entity_not_found',
    entity_id: id,
  });
}

/**
 * A duplicate email or external id. Current WorkOS: 400 `user_creation_error` with the reason in
 * `errors[]`, which the SDK raises as `BadRequestException` (reference B.2). Legacy: 409
 * `user_already_exists`, raised as `ConflictException`.
 */
function duplicateUser(
  context: UserManagementContext,
  field: 'email' | 'external_id',
): EmulatorHttpError {
  if (context.legacyDuplicateErrors) {
    return new EmulatorHttpError(409, {
      message:
        field === 'email'
          ? 'A user with this email already exists.'
          : 'A user with this external ID already exists.',
      code: 'user_already_exists',
    });
  }
  const reason =
    field === 'email'
      ? { code: 'email_not_available', message: 'This email is not available.' }
      : { code: 'external_id_already_used', message: 'This external ID is already in use.' };
  return new EmulatorHttpError(400, {
    message: 'Could not create user.',
    code: 'user_creation_error',
    errors: [reason],
  });
}

/** Throws unless the email and external id are free, ignoring the user being updated. */
function assertUnique(
  context: UserManagementContext,
  { email, externalId }: { email?: string; externalId?: string | null },
  exceptUserId?: string,
): void {
  if (email !== undefined) {
    const holder = context.store.findByEmail(email);
    if (holder !== undefined && holder.id !== exceptUserId) throw duplicateUser(context, 'email');
  }
  if (externalId !== undefined && externalId !== null) {
    const holder = context.store.findByExternalId(externalId);
    if (holder !== undefined && holder.id !== exceptUserId) {
      throw duplicateUser(context, 'external_id');
    }
  }
}

type StoredPassword = Pick<EmulatedUser, 'passwordHash' | 'passwordHashType' | 'passwordSource'>;

async function storedPassword(input: PasswordInput): Promise<StoredPassword> {
  if (input.kind === 'password_hash') {
    return {
      passwordHash: input.hash,
      passwordHashType: input.hashType,
      passwordSource: 'password_hash',
    };
  }
  return {
    passwordHash: await hashPlainPassword(input.password),
    passwordHashType: 'bcrypt',
    passwordSource: 'password',
  };
}

async function createUser(
  context: UserManagementContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const input = parseNewUser(parseJsonObject(request.rawBody));
  // Hash before the uniqueness check: from the check to the insert nothing awaits, so two
  // concurrent creates of one email cannot both pass.
  const password: StoredPassword =
    input.password === null
      ? { passwordHash: null, passwordHashType: null, passwordSource: null }
      : await storedPassword(input.password);
  assertUnique(context, { email: input.email, externalId: input.externalId });
  const now = context.now().toISOString();
  const user: EmulatedUser = {
    id: newUserId(),
    email: input.email,
    emailVerified: input.emailVerified,
    firstName: input.firstName,
    lastName: input.lastName,
    name: input.name,
    profilePictureUrl: null,
    lastSignInAt: null,
    locale: null,
    externalId: input.externalId,
    metadata: input.metadata,
    createdAt: now,
    updatedAt: now,
    ...password,
  };
  context.store.insert(user);
  context.counters.usersCreated += 1;
  return { status: 201, body: toUserResponseBody(user) };
}

async function getUser(
  context: UserManagementContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 1);
  const user = context.store.get(id);
  if (user === undefined) throw userNotFound(id);
  return { status: 200, body: toUserResponseBody(user) };
}

async function getUserByExternalId(
  context: UserManagementContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const externalId = pathParameter(segments, 2);
  const user = context.store.findByExternalId(externalId);
  if (user === undefined) throw userNotFound(externalId);
  return { status: 200, body: toUserResponseBody(user) };
}

/** `limit` 1-100 (default 10), `order` asc/desc (default desc), as the WorkOS list endpoints. */
function parseListQuery(query: URLSearchParams): ListUsersQuery {
  const issues: ValidationIssue[] = [];
  const limitText = query.get('limit');
  let limit = 10;
  if (limitText !== null) {
    limit = /^\d+$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1 || limit > 100) {
      issues.push({ code: 'limit_invalid', message: 'Limit must be an integer from 1 to 100.' });
    }
  }
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    issues.push({ code: 'order_invalid', message: "Order must be 'asc' or 'desc'." });
  }
  if (issues.length > 0) throw validationFailed(issues);
  const parsed: ListUsersQuery = { limit, order: order === 'asc' ? 'asc' : 'desc' };
  const email = query.get('email');
  if (email) parsed.email = email;
  const before = query.get('before');
  if (before) parsed.before = before;
  const after = query.get('after');
  if (after) parsed.after = after;
  return parsed;
}

async function listUsers(
  context: UserManagementContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const query = parseListQuery(request.query);
  // The emulator holds no organizations, so no user belongs to the one asked for.
  const page = request.query.get('organization_id')
    ? { data: [], listMetadata: { before: null, after: null } }
    : context.store.list(query);
  return {
    status: 200,
    body: {
      object: 'list',
      data: page.data.map(toUserResponseBody),
      list_metadata: page.listMetadata,
    },
  };
}

async function updateUser(
  context: UserManagementContext,
  request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 1);
  if (context.store.get(id) === undefined) throw userNotFound(id);
  const changes = parseUserChanges(parseJsonObject(request.rawBody));
  const password =
    changes.password === undefined ? undefined : await storedPassword(changes.password);
  // Read again after the await: the user may have changed or gone meanwhile.
  const current = context.store.get(id);
  if (current === undefined) throw userNotFound(id);
  assertUnique(context, { email: changes.email, externalId: changes.externalId }, id);
  const metadata =
    changes.metadataPatch === undefined
      ? current.metadata
      : mergeMetadata(current.metadata, changes.metadataPatch);
  const issues: ValidationIssue[] = [];
  checkMetadataSize(metadata, issues);
  if (issues.length > 0) throw validationFailed(issues);
  const updated: EmulatedUser = {
    ...current,
    email: changes.email ?? current.email,
    emailVerified: changes.emailVerified ?? current.emailVerified,
    firstName: changes.firstName === undefined ? current.firstName : changes.firstName,
    lastName: changes.lastName === undefined ? current.lastName : changes.lastName,
    name: changes.name === undefined ? current.name : changes.name,
    locale: changes.locale === undefined ? current.locale : changes.locale,
    externalId: changes.externalId === undefined ? current.externalId : changes.externalId,
    metadata,
    ...password,
    updatedAt: context.now().toISOString(),
  };
  context.store.replace(updated);
  context.counters.usersUpdated += 1;
  return { status: 200, body: toUserResponseBody(updated) };
}

async function deleteUser(
  context: UserManagementContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 1);
  if (!context.store.delete(id)) throw userNotFound(id);
  context.counters.usersDeleted += 1;
  return { status: 204 };
}

/**
 * What WorkOS answers for a wrong password or an unknown email alike. It carries a `code` but no
 * `errors[]` or `error`, so the SDK raises `GenericServerException` (status 400,
 * code `invalid_credentials`).
 */
function invalidCredentials(context: UserManagementContext): EmulatorHttpError {
  context.counters.failedSignIns += 1;
  return new EmulatorHttpError(400, {
    code: 'invalid_credentials',
    message: 'Invalid credentials.',
  });
}

/** OAuth-style errors (`error`/`error_description`) surface from the SDK as `OauthException`. */
function oauthError(error: string, description: string): EmulatorHttpError {
  return new EmulatorHttpError(400, { error, error_description: description });
}

/**
 * `POST /user_management/authenticate`, password grant only: the body the SDK's
 * `authenticateWithPassword` sends is `{ grant_type: 'password', client_id, client_secret (the
 * API key), email, password, ... }`.
 */
async function authenticate(
  context: UserManagementContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const body = parseJsonObject(request.rawBody);
  if (body.grant_type !== 'password') {
    throw oauthError('unsupported_grant_type', 'The emulator supports only the password grant.');
  }
  if (typeof body.client_id !== 'string' || body.client_id === '') {
    throw oauthError('invalid_request', 'client_id is required.');
  }
  if (context.clientId !== undefined && body.client_id !== context.clientId) {
    throw oauthError('invalid_client', 'Invalid client ID.');
  }
  if (
    context.apiKey !== undefined &&
    (typeof body.client_secret !== 'string' || !secretsMatch(body.client_secret, context.apiKey))
  ) {
    throw oauthError('invalid_client', 'Invalid client secret.');
  }
  const { email, password } = body;
  if (
    typeof email !== 'string' ||
    typeof password !== 'string' ||
    email === '' ||
    password === ''
  ) {
    throw oauthError('invalid_request', 'email and password are required.');
  }
  const user = context.store.findByEmail(email);
  if (user === undefined || user.passwordHash === null || user.passwordHashType === null) {
    throw invalidCredentials(context);
  }
  let matches: boolean;
  try {
    matches = await passwordVerifiers[user.passwordHashType](password, user.passwordHash);
  } catch (error) {
    if (error instanceof UnsupportedPasswordHashTypeError) {
      throw new EmulatorHttpError(501, {
        message: error.message,
        code: 'password_hash_type_not_supported_by_emulator',
      });
    }
    throw error;
  }
  if (!matches) throw invalidCredentials(context);
  // Read again after the await: the user may have been deleted while the hash was checked.
  const current = context.store.get(user.id);
  if (current === undefined) throw invalidCredentials(context);
  const now = context.now();
  const signedIn: EmulatedUser = { ...current, lastSignInAt: now.toISOString() };
  context.store.replace(signedIn);
  context.counters.signIns += 1;
  return {
    status: 200,
    body: {
      user: toUserResponseBody(signedIn),
      access_token: createUnsignedAccessToken({
        issuer: context.issuer,
        userId: signedIn.id,
        now: now.getTime(),
      }),
      refresh_token: createRefreshToken(),
      authentication_method: 'Password',
    },
  };
}
