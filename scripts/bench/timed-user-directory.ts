import { performance } from 'node:perf_hooks';
import type {
  DirectoryUser,
  DirectoryUserChanges,
  NewDirectoryUser,
  UserDirectory,
  UserPage,
  UserPageRequest,
} from '../../src/workos/user-directory.ts';

/** When the pipeline's accepted writes started and ended, as the client saw them. */
export interface WriteTimeline {
  /** Writes WorkOS accepted (created or updated a user). */
  acceptedWrites: number;
  /** performance.now() when the first accepted write was sent, and when the last one was. */
  firstWriteAt: number | undefined;
  lastWriteAt: number | undefined;
}

/**
 * Wraps a UserDirectory to note when accepted writes were sent, so the bench can report the
 * sustained write rate (first to last write) apart from start-up and the tail of the run. It
 * adds two clock reads per write and changes nothing else.
 */
export class TimedUserDirectory implements UserDirectory {
  readonly timeline: WriteTimeline = {
    acceptedWrites: 0,
    firstWriteAt: undefined,
    lastWriteAt: undefined,
  };
  readonly #inner: UserDirectory;

  constructor(inner: UserDirectory) {
    this.#inner = inner;
  }

  async createUser(user: NewDirectoryUser): Promise<DirectoryUser> {
    const sentAt = performance.now();
    const created = await this.#inner.createUser(user);
    this.#accepted(sentAt);
    return created;
  }

  async updateUser(userId: string, changes: DirectoryUserChanges): Promise<DirectoryUser> {
    const sentAt = performance.now();
    const updated = await this.#inner.updateUser(userId, changes);
    this.#accepted(sentAt);
    return updated;
  }

  getUser(userId: string): Promise<DirectoryUser | undefined> {
    return this.#inner.getUser(userId);
  }

  findUserByExternalId(externalId: string): Promise<DirectoryUser | undefined> {
    return this.#inner.findUserByExternalId(externalId);
  }

  findUserByEmail(email: string): Promise<DirectoryUser | undefined> {
    return this.#inner.findUserByEmail(email);
  }

  deleteUser(userId: string): Promise<void> {
    return this.#inner.deleteUser(userId);
  }

  listUsers(page: UserPageRequest): Promise<UserPage> {
    return this.#inner.listUsers(page);
  }

  #accepted(sentAt: number): void {
    const timeline = this.timeline;
    timeline.acceptedWrites += 1;
    timeline.firstWriteAt = Math.min(timeline.firstWriteAt ?? sentAt, sentAt);
    timeline.lastWriteAt = Math.max(timeline.lastWriteAt ?? sentAt, sentAt);
  }
}
