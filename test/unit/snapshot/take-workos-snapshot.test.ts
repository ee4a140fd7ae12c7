import { describe, expect, it } from 'vitest';
import { RateLimitedError, TransientImportError } from '../../../src/errors.ts';
import { ReadPacer } from '../../../src/snapshot/read-pacer.ts';
import {
  type SnapshotCheckpoint,
  type SnapshotProgress,
  takeWorkOsSnapshot,
} from '../../../src/snapshot/take-workos-snapshot.ts';
import { WorkOsSnapshot } from '../../../src/snapshot/workos-snapshot.ts';
import { fakeTime } from '../../helpers/fake-time.ts';
import { directoryOfUsers, InMemoryUserDirectory } from '../../helpers/in-memory-user-directory.ts';

describe('Function: takeWorkOsSnapshot', () => {
  it('lists every user once, a page of 100 a read, and finds each by external id and email', async () => {
    const directory = directoryOfUsers(250);
    const time = fakeTime();

    const { snapshot, pagesRead, rateLimited } = await takeWorkOsSnapshot({ directory, ...time });

    expect({ pagesRead, rateLimited, calls: directory.calls.list }).toEqual({
      pagesRead: 3,
      rateLimited: 0,
      calls: 3,
    });
    expect(snapshot.size).toBe(250);
    for (const user of directory.users.values()) {
      expect(snapshot.findByExternalId(user.externalId as string)?.workosUserId).toBe(user.id);
      expect(snapshot.findByEmail(user.email.toLowerCase())?.importDigest).toBe(
        user.metadata.import_digest,
      );
    }
  });

  it('reads one page of an empty environment', async () => {
    const directory = new InMemoryUserDirectory();

    const { snapshot, pagesRead } = await takeWorkOsSnapshot({ directory, ...fakeTime() });

    expect([snapshot.size, pagesRead]).toEqual([0, 1]);
  });

  it('paces pages to the read budget: n pages take (n - 1) / rate seconds', async () => {
    const directory = directoryOfUsers(1_000);
    const time = fakeTime();

    await takeWorkOsSnapshot({ directory, readsPerSecond: 4, ...time });

    expect(directory.calls.list).toBe(10);
    expect(time.elapsedMs()).toBe(9 * 250);
  });

  it('reports the cursor and count after each page, the last without a cursor', async () => {
    const directory = directoryOfUsers(230);
    const progress: Omit<SnapshotProgress, 'partial'>[] = [];

    await takeWorkOsSnapshot({
      directory,
      ...fakeTime(),
      onPage: ({ partial: _partial, ...rest }) => {
        progress.push(rest);
      },
    });

    const ids = [...directory.users.keys()];
    expect(progress).toEqual([
      { after: ids[99], usersListed: 100, pagesRead: 1, rateLimited: 0 },
      { after: ids[199], usersListed: 200, pagesRead: 2, rateLimited: 0 },
      { usersListed: 230, pagesRead: 3, rateLimited: 0 },
    ]);
  });

  it('goes on from a checkpoint, reading only the pages after it, to the same snapshot', async () => {
    const directory = directoryOfUsers(650);
    const whole = await takeWorkOsSnapshot({ directory, ...fakeTime() });
    let checkpoint: SnapshotCheckpoint | undefined;
    let pagesServed = 0;
    const interrupted = takeWorkOsSnapshot({
      directory: {
        // WorkOS fails the fifth page.
        listUsers: (page) => {
          pagesServed += 1;
          if (pagesServed === 5) throw new TransientImportError('workos_503', 'down');
          return directory.listUsers(page);
        },
      },
      ...fakeTime(),
      onPage: ({ after, partial, pagesRead }) => {
        if (after !== undefined && pagesRead === 4) {
          // As a caller would: through bytes, as it would be written to S3.
          checkpoint = { after, partial: WorkOsSnapshot.fromBytes(partial().toBytes()) };
        }
      },
    });
    await expect(interrupted).rejects.toBeInstanceOf(TransientImportError);
    const before = directory.calls.list;

    const resumed = await takeWorkOsSnapshot({
      directory,
      ...fakeTime(),
      resumeFrom: checkpoint as SnapshotCheckpoint,
    });

    expect(resumed.pagesRead).toBe(3);
    expect(directory.calls.list - before).toBe(3);
    expect(resumed.snapshot.toBytes()).toEqual(whole.snapshot.toBytes());
  });

  it('stops where it is told to yield, and goes on from there in a later call to the same snapshot', async () => {
    const directory = directoryOfUsers(650);
    const whole = await takeWorkOsSnapshot({ directory, ...fakeTime() });
    const before = directory.calls.list;
    let asked = 0;

    const first = await takeWorkOsSnapshot({
      directory,
      ...fakeTime(),
      // Yields after the third page.
      shouldYield: () => ++asked === 3,
    });
    const stoppedAt = first.stoppedAt as SnapshotCheckpoint;
    const second = await takeWorkOsSnapshot({
      directory,
      ...fakeTime(),
      resumeFrom: { ...stoppedAt, partial: WorkOsSnapshot.fromBytes(stoppedAt.partial.toBytes()) },
    });

    expect([first.pagesRead, first.snapshot.size, second.pagesRead]).toEqual([3, 300, 4]);
    expect(stoppedAt.after).toBe([...directory.users.keys()][299]);
    expect(second.stoppedAt).toBeUndefined();
    expect(directory.calls.list - before).toBe(7);
    expect(second.snapshot.toBytes()).toEqual(whole.snapshot.toBytes());
  });

  it('reads a page before it yields, and is not asked after the last one', async () => {
    const directory = directoryOfUsers(150);
    let asked = 0;

    const stopped = await takeWorkOsSnapshot({
      directory,
      ...fakeTime(),
      shouldYield: () => {
        asked += 1;
        return true;
      },
    });
    const rest = await takeWorkOsSnapshot({
      directory,
      ...fakeTime(),
      resumeFrom: stopped.stoppedAt as SnapshotCheckpoint,
      shouldYield: () => {
        asked += 1;
        return true;
      },
    });

    expect([stopped.pagesRead, rest.pagesRead, rest.snapshot.size, asked]).toEqual([1, 1, 150, 1]);
    expect(rest.stoppedAt).toBeUndefined();
  });

  it('waits out a 429 for its Retry-After, then reads the same page again', async () => {
    const directory = directoryOfUsers(150);
    directory.failNext('listUsers', new RateLimitedError(7));
    const time = fakeTime();

    const { snapshot, pagesRead, rateLimited } = await takeWorkOsSnapshot({
      directory,
      readsPerSecond: 10,
      ...time,
    });

    expect({ pagesRead, rateLimited, calls: directory.calls.list, size: snapshot.size }).toEqual({
      pagesRead: 2,
      rateLimited: 1,
      calls: 3,
      size: 150,
    });
    // The refused page, then the second page a tenth of a second after the retried first.
    expect(time.sleeps).toEqual([7_000, 100]);
  });

  it('gives up after so many 429s in a row on one page', async () => {
    const directory = directoryOfUsers(10);
    directory.failNext('listUsers', ...Array.from({ length: 3 }, () => new RateLimitedError(1)));

    const listing = takeWorkOsSnapshot({ directory, maxRateLimitedRetries: 2, ...fakeTime() });

    await expect(listing).rejects.toBeInstanceOf(RateLimitedError);
    expect(directory.calls.list).toBe(3);
  });
});

describe('Class: ReadPacer', () => {
  it('hands out slots one every 1/rate seconds, and none before a 429 pause ends', async () => {
    const time = fakeTime();
    const pacer = new ReadPacer({ readsPerSecond: 2, ...time });

    await pacer.acquire();
    await pacer.acquire();
    pacer.pauseFor(3);
    await pacer.acquire();

    expect(time.sleeps).toEqual([500, 3_000]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new ReadPacer({ readsPerSecond: 0 })).toThrow(RangeError);
  });
});
