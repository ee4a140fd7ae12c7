import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SnapshotCheckpoint,
  takeWorkOsSnapshot,
} from '../../src/snapshot/take-workos-snapshot.ts';
import { WorkOsSnapshot } from '../../src/snapshot/workos-snapshot.ts';
import {
  countingUserDirectory,
  emptyWorkOsCallCounts,
} from '../../src/workos/counting-directory.ts';
import type { DirectoryUser } from '../../src/workos/user-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import { signInThroughSdk } from '../helpers/emulated-users.ts';

const apiKey = 'sk_test_snapshot';
const clientId = 'client_snapshot';
const userCount = 1_050;
const password = 'snapshot password';

/**
 * A WorkOS environment of 1,050 users, listed through the real SDK against the emulator with
 * WorkOS's read limit on (1,000 per 10 s): every user once, 100 a read, found by external id and
 * email, and a listing stopped after page 4 goes on from its checkpoint reading only the rest.
 */
describe('A snapshot of a WorkOS environment, through the SDK against the emulator', () => {
  let emulator: RunningWorkOsEmulator;
  let directory: WorkOsUserDirectory;
  const created: DirectoryUser[] = [];

  beforeAll(async () => {
    // Writes unlimited, so that seeding takes no time; reads at WorkOS's limit.
    emulator = await startWorkOsEmulator({ apiKey, clientId, writeLimit: false });
    directory = new WorkOsUserDirectory(
      createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 5_000 }),
    );
    const passwordHash = bcrypt.hashSync(password, 4);
    for (let start = 0; start < userCount; start += 50) {
      const batch = Array.from({ length: Math.min(50, userCount - start) }, (_, offset) => {
        const n = start + offset;
        return directory.createUser({
          email: `Person${n}@Example.com`,
          emailVerified: n % 2 === 0,
          externalId: `auth0|${n}`,
          metadata: {
            import_source: n % 10 === 0 ? 'clerk' : 'auth0',
            import_digest: `digest-of-${n}`,
          },
          ...(n < 3 ? { passwordHash, passwordHashType: 'bcrypt' as const } : {}),
        });
      });
      created.push(...(await Promise.all(batch)));
    }
    await signInThroughSdk(
      { url: emulator.url, apiKey, clientId },
      'person1@example.com',
      password,
    );
  });
  afterAll(async () => {
    await emulator.close();
  });

  function readsSince(reads: number): number {
    return emulator.stats().reads - reads;
  }

  it('lists every user once in ceil(1050 / 100) reads and finds each by external id and email', async () => {
    const reads = emulator.stats().reads;
    const counts = emptyWorkOsCallCounts();

    const { snapshot, pagesRead, rateLimited } = await takeWorkOsSnapshot({
      directory: countingUserDirectory(directory, counts),
    });

    expect({ pagesRead, rateLimited, size: snapshot.size }).toEqual({
      pagesRead: 11,
      rateLimited: 0,
      size: userCount,
    });
    expect(readsSince(reads)).toBe(11);
    expect(counts).toEqual({ reads: 11, writes: 0, rateLimited: 0 });
    const wrong = created.filter((user, n) => {
      const expected = {
        workosUserId: user.id,
        importDigest: `digest-of-${n}`,
        importSource: n % 10 === 0 ? 'clerk' : 'auth0',
        signedIn: n === 1,
        emailVerified: n % 2 === 0,
        hasExternalId: true,
      };
      const byExternalId = snapshot.findByExternalId(`auth0|${n}`);
      const byEmail = snapshot.findByEmail(`person${n}@example.com`);
      return (
        JSON.stringify(byExternalId) !== JSON.stringify(expected) ||
        JSON.stringify(byEmail) !== JSON.stringify(expected)
      );
    });
    expect(wrong).toEqual([]);
    expect(snapshot.findByExternalId(`auth0|${userCount}`)).toBeUndefined();
  });

  it('goes on from the checkpoint after page 4, reading only the 7 pages left, to the same snapshot', async () => {
    const whole = await takeWorkOsSnapshot({ directory });
    let checkpoint: SnapshotCheckpoint | undefined;
    let pagesServed = 0;
    const stopped = takeWorkOsSnapshot({
      directory: {
        listUsers: (page) => {
          pagesServed += 1;
          if (pagesServed === 5) throw new Error('the process stopped');
          return directory.listUsers(page);
        },
      },
      onPage: ({ after, pagesRead, partial }) => {
        if (pagesRead === 4 && after !== undefined) {
          checkpoint = { after, partial: WorkOsSnapshot.fromBytes(partial().toBytes()) };
        }
      },
    });
    await expect(stopped).rejects.toThrow('the process stopped');
    const reads = emulator.stats().reads;

    const resumed = await takeWorkOsSnapshot({
      directory,
      resumeFrom: checkpoint as SnapshotCheckpoint,
    });

    expect(checkpoint?.partial.size).toBe(400);
    expect(resumed.pagesRead).toBe(7);
    expect(readsSince(reads)).toBe(7);
    expect(resumed.snapshot.toBytes()).toEqual(whole.snapshot.toBytes());
  });

  it("waits out WorkOS's 429 on a page and reads that page again", async () => {
    emulator.faults.inject({
      status: 429,
      retryAfterSeconds: 1,
      match: { method: 'GET', pathPrefix: '/user_management/users' },
    });
    const reads = emulator.stats().reads;

    const { snapshot, pagesRead, rateLimited } = await takeWorkOsSnapshot({ directory });

    expect({ pagesRead, rateLimited, size: snapshot.size }).toEqual({
      pagesRead: 11,
      rateLimited: 1,
      size: userCount,
    });
    expect(readsSince(reads)).toBe(12);
  });
});
