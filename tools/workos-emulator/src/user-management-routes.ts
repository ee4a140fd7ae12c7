import type { EmulatorApiContext } from './api-context.ts';
import {
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorResponse,
  parseJsonObject,
  secretsMatch,
} from './http.ts';
import { newUserId } from './ids.ts';
import { membershipRoutes } from './membership-routes.ts';
import { passwordResetRoutes } from './password-reset-routes.ts';
import { hashPlainPassword, passwordVerifiers } from './password-verifiers.ts';
import {
  entityNotFound,
  findRoute,
  listBody,
  parsePageQuery,
  pathParameter,
  type Route,
  routeNotFound,
  throwIfIssues,
} from './route-helpers.ts';
import { createRefreshToken, createUnsignedAccessToken } from './session-tokens.ts';
import { type EmulatedUser, type ListUsersQuery, toUserResponseBody } from './user-store.ts';
import {
  type PasswordInput,
  parseNewUser,
  parseUserChanges,
  patchedMetadata,
  type ValidationIssue,
} from './user-validation.ts';

const routes: Route[] = [
  { method: 'POST', pattern: ['users'], handle: createUser },
  { method: 'GET', pattern: ['users'], handle: listUsers },
  { method: 'GET', pattern: ['users', 'external_id', ':externalId'], handle: getUserByExternalId },
  { method: 'GET', pattern: ['users', ':id'], handle: getUser },
  { method: 'PUT', pattern: ['users', ':id'], handle: updateUser },
  { method: 'DELETE', pattern: ['users', ':id'], handle: deleteUser },
  { method: 'POST', pattern: ['authenticate'], handle: authenticate },
  ...membershipRoutes,
  ...passwordResetRoutes,
];

/** Dispatches one authorized, admitted request under `/user_management`. */
export async function routeUserManagementRequest(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const [empty, prefix, ...segments] = request.pathname.split('/');
  if (empty === '' && prefix === 'user_management') {
    const route = findRoute(routes, request.method, segments);
    if (route !== undefined) return route.handle(context, request, segments);
  }
  return routeNotFound(request.pathname);
}

function userNotFound(id: string): EmulatorHttpError {
  return entityNotFound('User', id);
}

/**
 * A duplicate email or external id. Current WorkOS: 400 `user_creation_error` with the reason in
 * `errors[]`, which the SDK raises as `BadRequestException` (reference B.2). Legacy: 409
 * `user_already_exists`, raised as `ConflictException`.
 */
function duplicateUser(
  context: EmulatorApiContext,
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
  context: EmulatorApiContext,
  { email, externalId }: { email?: string; externalId?: string | null },
  exceptUserId?: string,
): void {
  if (email !== undefined) {
    const holder = context.users.findByEmail(email);
    if (holder !== undefined && holder.id !== exceptUserId) throw duplicateUser(context, 'email');
  }
  if (externalId !== undefined && externalId !== null) {
    const holder = context.users.findByExternalId(externalId);
    if (holder !== undefined && holder.id !== exceptUserId) {
      throw duplicateUser(context, 'external_id');
    }
  }
}

type StoredPassword = Pick<
  EmulatedUser,
  'passwordHash' | 'passwordHashType' | 'passwordSaltPosition' | 'passwordSource'
>;

async function storedPassword(input: PasswordInput): Promise<StoredPassword> {
  if (input.kind === 'password_hash') {
    return {
      passwordHash: input.hash,
      passwordHashType: input.hashType,
      passwordSaltPosition: input.saltPosition ?? null,
      passwordSource: 'password_hash',
    };
  }
  return {
    passwordHash: await hashPlainPassword(input.password),
    passwordHashType: 'bcrypt',
    passwordSaltPosition: null,
    passwordSource: 'password',
  };
}

async function createUser(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const input = parseNewUser(parseJsonObject(request.rawBody));
  // Hash before the uniqueness check: from the check to the insert nothing awaits, so two
  // concurrent creates of one email cannot both pass.
  const password: StoredPassword =
    input.password === null
      ? {
          passwordHash: null,
          passwordHashType: null,
          passwordSaltPosition: null,
          passwordSource: null,
        }
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
  context.users.insert(user);
  context.counters.usersCreated += 1;
  return { status: 201, body: toUserResponseBody(user) };
}

async function getUser(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 1);
  const user = context.users.get(id);
  if (user === undefined) throw userNotFound(id);
  return { status: 200, body: toUserResponseBody(user) };
}

async function getUserByExternalId(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const externalId = pathParameter(segments, 2);
  const user = context.users.findByExternalId(externalId);
  if (user === undefined) throw userNotFound(externalId);
  return { status: 200, body: toUserResponseBody(user) };
}

function parseListUsersQuery(query: URLSearchParams): ListUsersQuery {
  const issues: ValidationIssue[] = [];
  const parsed: ListUsersQuery = parsePageQuery(query, issues);
  throwIfIssues(issues);
  const email = query.get('email');
  if (email) parsed.email = email;
  return parsed;
}

/** `organization_id` keeps users with a membership, of any status, in that organization. */
async function listUsers(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const query = parseListUsersQuery(request.query);
  const organizationId = request.query.get('organization_id');
  const members = organizationId ? context.memberships.userIdsIn(organizationId) : undefined;
  const page = context.users.list(
    query,
    members === undefined ? undefined : (user) => members.has(user.id),
  );
  return listBody(page, toUserResponseBody);
}

async function updateUser(
  context: EmulatorApiContext,
  request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 1);
  if (context.users.get(id) === undefined) throw userNotFound(id);
  const changes = parseUserChanges(parseJsonObject(request.rawBody));
  const password =
    changes.password === undefined ? undefined : await storedPassword(changes.password);
  // Read again after the await: the user may have changed or gone meanwhile.
  const current = context.users.get(id);
  if (current === undefined) throw userNotFound(id);
  assertUnique(context, { email: changes.email, externalId: changes.externalId }, id);
  const metadata = patchedMetadata(current.metadata, changes.metadataPatch);
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
  context.users.replace(updated);
  context.counters.usersUpdated += 1;
  return { status: 200, body: toUserResponseBody(updated) };
}

async function deleteUser(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 1);
  if (!context.users.delete(id)) throw userNotFound(id);
  // WorkOS removes a deleted user's memberships with them.
  context.memberships.deleteForUser(id);
  context.counters.usersDeleted += 1;
  return { status: 204 };
}

/**
 * What WorkOS answers for a wrong password or an unknown email alike. It carries a `code` but no
 * `errors[]` or `error`, so the SDK raises `GenericServerException` (status 400,
 * code `invalid_credentials`).
 */
function invalidCredentials(context: EmulatorApiContext): EmulatorHttpError {
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
  context: EmulatorApiContext,
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
  const user = context.users.findByEmail(email);
  if (user === undefined || user.passwordHash === null || user.passwordHashType === null) {
    throw invalidCredentials(context);
  }
  const matches = await passwordVerifiers[user.passwordHashType](password, user.passwordHash, {
    saltPosition: user.passwordSaltPosition,
  });
  if (!matches) throw invalidCredentials(context);
  // Read again after the await: the user may have been deleted while the hash was checked.
  const current = context.users.get(user.id);
  if (current === undefined) throw invalidCredentials(context);
  const now = context.now();
  const signedIn: EmulatedUser = { ...current, lastSignInAt: now.toISOString() };
  context.users.replace(signedIn);
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
