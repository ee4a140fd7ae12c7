import type { CreateUserOptions } from '@workos-inc/node';
import { NotFoundException, type User, WorkOS } from '@workos-inc/node';
import { classifyWorkOsError } from './classify-workos-error.ts';
import type {
  DirectoryUser,
  DirectoryUserChanges,
  NewDirectoryUser,
  UserDirectory,
} from './user-directory.ts';

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
    return toDirectoryUser(
      await callWorkOs(() =>
        this.#workos.userManagement.createUser({
          email: user.email,
          emailVerified: user.emailVerified,
          firstName: user.firstName,
          lastName: user.lastName,
          externalId: user.externalId,
          metadata: user.metadata,
          ...passwordFields(user),
        }),
      ),
    );
  }

  async updateUser(userId: string, changes: DirectoryUserChanges): Promise<DirectoryUser> {
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
          ...passwordFields(changes),
        }),
      ),
    );
  }

  async findUserByExternalId(externalId: string): Promise<DirectoryUser | undefined> {
    try {
      return toDirectoryUser(await this.#workos.userManagement.getUserByExternalId(externalId));
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw classifyWorkOsError(error);
    }
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
}

async function callWorkOs<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyWorkOsError(error);
  }
}

/** The SDK's type lacks `pbkdf2`, which the API accepts; the serializer passes the value through. */
function passwordFields(user: { passwordHash?: string; passwordHashType?: PasswordHashTypeLike }) {
  if (user.passwordHash === undefined || user.passwordHashType === undefined) return {};
  return {
    passwordHash: user.passwordHash,
    passwordHashType: user.passwordHashType as CreateUserOptions['passwordHashType'],
  };
}
type PasswordHashTypeLike = NewDirectoryUser['passwordHashType'];

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
