import type {
  CreateUserOptions,
  SerializedCreateUserOptions,
  SerializedUpdateUserOptions,
  UserResponse,
} from '@workos-inc/node';
import { NotFoundException, type User, WorkOS } from '@workos-inc/node';
import type { PasswordHashType, PasswordSaltPosition } from '../model/import-message.ts';
import { classifyWorkOsError } from './classify-workos-error.ts';
import type {
  DirectoryUser,
  DirectoryUserChanges,
  NewDirectoryUser,
  UserDirectory,
  UserPage,
  UserPageRequest,
} from './user-directory.ts';
import { maxUsersPerPage } from './user-directory.ts';

export interface WorkOsClientOptions {
  apiKey: string;
  /** Base URL of the API: the real one, or the emulator's. */
  apiUrl: string;
  /** Per-attempt timeout. The SDK's default of 60 s would eat a Lambda's whole budget. */
  timeoutMs: number;
}

/**
 * A WorkOS SDK client with its own retries turned off: the queue owns every retry, so SDK
 * retries (up to 4 attempts, each waiting up to 60 s on Retry-After) never multiply with ours,
 * and a 429 reaches the pacer at once instead of being slept on.
 */
export function createWorkOsClient({ apiKey, apiUrl, timeoutMs }: WorkOsClientOptions): WorkOS {
  const url = new URL(apiUrl);
  const https = url.protocol === 'https:';
  return new WorkOS(apiKey, {
    apiHostname: url.hostname,
    https,
    ...(url.port ? { port: Number(url.port) } : {}),
    maxRetries: 0,
    timeout: timeoutMs,
  });
}

/** The importer's view of WorkOS user management, backed by `@workos-inc/node`. */
export class WorkOsUserDirectory implements UserDirectory {
  readonly #workos: WorkOS;

  constructor(workos: WorkOS) {
    this.#workos = workos;
  }

  async createUser(user: NewDirectoryUser): Promise<DirectoryUser> {
    const sdkPassword = sdkPasswordOptions(user);
    if (sdkPassword === undefined) {
      // The SDK's types cannot carry this hash: the same request through its own request method.
      const { data } = await callWorkOs(() =>
        this.#workos.post<UserResponse, CreateUserBody>(usersPath, {
          email: user.email,
          email_verified: user.emailVerified,
          first_name: user.firstName,
          last_name: user.lastName,
          external_id: user.externalId,
          metadata: user.metadata,
          ...passwordBody(user),
        }),
      );
      return fromUserResponse(data);
    }
    return toDirectoryUser(
      await callWorkOs(() =>
        this.#workos.userManagement.createUser({
          email: user.email,
          emailVerified: user.emailVerified,
          firstName: user.firstName,
          lastName: user.lastName,
          externalId: user.externalId,
          metadata: user.metadata,
          ...sdkPassword,
        }),
      ),
    );
  }

  async updateUser(userId: string, changes: DirectoryUserChanges): Promise<DirectoryUser> {
    const sdkPassword = sdkPasswordOptions(changes);
    if (sdkPassword === undefined) {
      const { data } = await callWorkOs(() =>
        this.#workos.put<UserResponse, UpdateUserBody>(
          `${usersPath}/${encodeURIComponent(userId)}`,
          {
            email: changes.email,
            email_verified: changes.emailVerified,
            first_name: changes.firstName,
            last_name: changes.lastName,
            external_id: changes.externalId,
            metadata: changes.metadata,
            ...passwordBody(changes),
          },
        ),
      );
      return fromUserResponse(data);
    }
    return toDirectoryUser(
      await callWorkOs(() =>
        this.#workos.userManagement.updateUser({
          userId,
          email: changes.email,
          emailVerified: changes.emailVerified,
          firstName: changes.firstName,
          lastName: changes.lastName,
          externalId: changes.externalId,
          metadata: changes.metadata,
          ...sdkPassword,
        }),
      ),
    );
  }

  getUser(userId: string): Promise<DirectoryUser | undefined> {
    return userOrNone(() => this.#workos.userManagement.getUser(userId));
  }

  findUserByExternalId(externalId: string): Promise<DirectoryUser | undefined> {
    return userOrNone(() => this.#workos.userManagement.getUserByExternalId(externalId));
  }

  async deleteUser(userId: string): Promise<void> {
    try {
      await this.#workos.userManagement.deleteUser(userId);
    } catch (error) {
      // Deleted already (by an earlier delivery of the same record, or by hand): done.
      if (error instanceof NotFoundException) return;
      throw classifyWorkOsError(error);
    }
  }

  async findUserByEmail(email: string): Promise<DirectoryUser | undefined> {
    const page = await callWorkOs(() =>
      this.#workos.userManagement.listUsers({ email: email.toLowerCase(), limit: 2 }),
    );
    const user = page.data[0];
    return user === undefined ? undefined : toDirectoryUser(user);
  }

  /**
   * One page, ascending: a cursor then names the newest user seen, so users created while a
   * listing runs still come on its later pages (descending, WorkOS's default, would miss them).
   * The SDK's `autoPagination` is not used: it sleeps 350 ms a page and cannot resume.
   */
  async listUsers({ after, limit = maxUsersPerPage }: UserPageRequest): Promise<UserPage> {
    const page = await callWorkOs(() =>
      this.#workos.userManagement.listUsers({
        limit,
        order: 'asc',
        ...(after === undefined ? {} : { after }),
      }),
    );
    const next = page.listMetadata.after;
    return {
      users: page.data.map(toDirectoryUser),
      ...(typeof next === 'string' && next !== '' ? { after: next } : {}),
    };
  }
}

/** A lookup of one user: WorkOS's 404 means there is none. */
async function userOrNone(
  lookUp: () => Promise<Parameters<typeof toDirectoryUser>[0]>,
): Promise<DirectoryUser | undefined> {
  try {
    return toDirectoryUser(await lookUp());
  } catch (error) {
    if (error instanceof NotFoundException) return undefined;
    throw classifyWorkOsError(error);
  }
}

async function callWorkOs<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyWorkOsError(error);
  }
}

const usersPath = '/user_management/users';

type SdkPasswordHashType = NonNullable<CreateUserOptions['passwordHashType']>;

/**
 * The hash types the SDK's `PasswordHashType` names. The API takes more (`pbkdf2`, `ssha256`) and
 * a `password_salt_position`; `satisfies` fails the build if the SDK ever drops one of these.
 */
const sdkPasswordHashTypes = [
  'bcrypt',
  'firebase-scrypt',
  'ssha',
  'scrypt',
  'argon2',
] as const satisfies readonly SdkPasswordHashType[];

function isSdkPasswordHashType(type: PasswordHashType): type is SdkPasswordHashType {
  return (sdkPasswordHashTypes as readonly PasswordHashType[]).includes(type);
}

interface PasswordChange {
  passwordHash?: string;
  passwordHashType?: PasswordHashType;
  passwordSaltPosition?: PasswordSaltPosition;
}

/**
 * The password options for the SDK's own `createUser`/`updateUser` (none when there is no hash),
 * or undefined when the SDK's types cannot express them and the raw request must carry them.
 */
function sdkPasswordOptions(
  user: PasswordChange,
): Pick<CreateUserOptions, 'passwordHash' | 'passwordHashType'> | undefined {
  const { passwordHash, passwordHashType, passwordSaltPosition } = user;
  if (passwordHash === undefined || passwordHashType === undefined) return {};
  if (passwordSaltPosition !== undefined || !isSdkPasswordHashType(passwordHashType)) {
    return undefined;
  }
  return { passwordHash, passwordHashType };
}

/** The API's password fields, as the SDK serializes them, plus the ones its types lack. */
interface PasswordBody {
  password_hash?: string;
  password_hash_type?: PasswordHashType;
  password_salt_position?: PasswordSaltPosition;
}
type CreateUserBody = Omit<SerializedCreateUserOptions, keyof PasswordBody> & PasswordBody;
type UpdateUserBody = Omit<SerializedUpdateUserOptions, keyof PasswordBody> & PasswordBody;

function passwordBody(user: PasswordChange): PasswordBody {
  if (user.passwordHash === undefined || user.passwordHashType === undefined) return {};
  return {
    password_hash: user.passwordHash,
    password_hash_type: user.passwordHashType,
    ...(user.passwordSaltPosition === undefined
      ? {}
      : { password_salt_position: user.passwordSaltPosition }),
  };
}

/** A user as the API sends it (what the SDK's own methods deserialize into `User`). */
function fromUserResponse(user: UserResponse): DirectoryUser {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.email_verified,
    firstName: user.first_name,
    lastName: user.last_name,
    externalId: user.external_id ?? null,
    metadata: user.metadata ?? {},
    lastSignInAt: user.last_sign_in_at,
  };
}

function toDirectoryUser(user: User): DirectoryUser {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerified,
    firstName: user.firstName,
    lastName: user.lastName,
    externalId: user.externalId ?? null,
    metadata: user.metadata ?? {},
    lastSignInAt: user.lastSignInAt,
  };
}
