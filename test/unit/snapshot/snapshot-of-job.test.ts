import { describe, expect, it } from 'vitest';
import { TransientImportError } from '../../../src/errors.ts';
import type { PipelineLogger } from '../../../src/logger.ts';
import {
  type SnapshotOfJob,
  type SnapshotOfJobInput,
  snapshotOfJob,
} from '../../../src/snapshot/snapshot-of-job.ts';
import { takeWorkOsSnapshot } from '../../../src/snapshot/take-workos-snapshot.ts';
import type { UserDirectory } from '../../../src/workos/user-directory.ts';
import { fakeTime } from '../../helpers/fake-time.ts';
import { InMemorySnapshotStore } from '../../helpers/in-memory-snapshot-store.ts';
import {
  directoryOfUsers,
  type InMemoryUserDirectory,
} from '../../helpers/in-memory-user-directory.ts';

const jobId = 'job-1';
const quiet: PipelineLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The listing as the splitter runs it, with a fake clock and a store in memory. */
function snapshotStep(
  directory: Pick<UserDirectory, 'listUsers'>,
  store: InMemorySnapshotStore,
  options: Partial<SnapshotOfJobInput> = {},
): Promise<SnapshotOfJob> {
  return snapshotOfJob({
    jobId,
    store,
    directory: async () => directory,
    shouldYield: () => false,
    logger: quiet,
    ...fakeTime(),
    ...options,
  });
}

async function wholeSnapshotOf(directory: InMemoryUserDirectory): Promise<Uint8Array> {
  return (await takeWorkOsSnapshot({ directory, ...fakeTime() })).snapshot.toBytes();
}

function bytesOf(step: SnapshotOfJob): Uint8Array | undefined {
  return step.status === 'ready' ? step.snapshot.toBytes() : undefined;
}

describe('Function: snapshotOfJob', () => {
  it('lists a job with nothing stored, checkpoints every so many pages, and stores the finished snapshot once', async () => {
    const directory = directoryOfUsers(1_050);
    const store = new InMemorySnapshotStore();

    const step = await snapshotStep(directory, store, { checkpointEveryPages: 4 });

    expect(step.status).toBe('ready');
    expect(step.status === 'ready' && step.summary).toMatchObject({
      users: 1_050,
      pagesRead: 11,
      pagesReadNow: 11,
      rateLimited: 0,
    });
    expect(bytesOf(step)).toEqual(await wholeSnapshotOf(directory));
    expect(store.writes).toEqual([
      { jobId, kind: 'checkpoint', users: 400 },
      { jobId, kind: 'checkpoint', users: 800 },
      { jobId, kind: 'complete', users: 1_050 },
    ]);
  });

  it('reads a stored snapshot back, never asking for the directory or listing again', async () => {
    const directory = directoryOfUsers(250);
    const store = new InMemorySnapshotStore();
    const first = await snapshotStep(directory, store);
    // WorkOS changes after the snapshot: the job keeps the snapshot it began with.
    directory.seed({ email: 'later@example.com', externalId: 'auth0|later' });

    const again = await snapshotStep(directory, store, {
      directory: () => Promise.reject(new Error('no listing once the snapshot is stored')),
    });

    expect(again.status).toBe('ready');
    expect(bytesOf(again)).toEqual(bytesOf(first));
    expect(again.status === 'ready' && again.summary).toMatchObject({
      users: 250,
      pagesRead: 3,
      pagesReadNow: 0,
    });
    expect(store.writes.map((write) => write.kind)).toEqual(['complete']);
  });

  it('yields with a checkpoint, and the next call goes on from it, reading only the pages after it, to the same snapshot', async () => {
    const directory = directoryOfUsers(650);
    const store = new InMemorySnapshotStore();
    let asked = 0;

    const first = await snapshotStep(directory, store, { shouldYield: () => ++asked === 2 });
    const listedBefore = directory.calls.list;
    const second = await snapshotStep(directory, store);

    expect(first).toEqual({
      status: 'yielded',
      summary: expect.objectContaining({ users: 200, pagesRead: 2, pagesReadNow: 2 }),
    });
    expect(listedBefore).toBe(2);
    expect(second.status === 'ready' && second.summary).toMatchObject({
      users: 650,
      pagesRead: 7,
      pagesReadNow: 5,
    });
    expect(directory.calls.list).toBe(7);
    expect(bytesOf(second)).toEqual(await wholeSnapshotOf(directory));
  });

  it('writes one checkpoint when it yields on a page it has just checkpointed', async () => {
    const directory = directoryOfUsers(650);
    const store = new InMemorySnapshotStore();
    let asked = 0;

    const step = await snapshotStep(directory, store, {
      checkpointEveryPages: 2,
      shouldYield: () => ++asked === 2,
    });

    expect(step.status).toBe('yielded');
    expect(store.writes).toEqual([{ jobId, kind: 'checkpoint', users: 200 }]);
  });

  it('goes on after a failed page from the last checkpoint, counting each page of the snapshot once', async () => {
    const directory = directoryOfUsers(650);
    const store = new InMemorySnapshotStore();
    let served = 0;
    const failingSixthPage: Pick<UserDirectory, 'listUsers'> = {
      listUsers: (page) => {
        served += 1;
        if (served === 6) throw new TransientImportError('workos_503', 'down');
        return directory.listUsers(page);
      },
    };

    const failed = snapshotStep(failingSixthPage, store, { checkpointEveryPages: 4 });
    await expect(failed).rejects.toBeInstanceOf(TransientImportError);
    const listedBefore = directory.calls.list;
    const retried = await snapshotStep(directory, store, { checkpointEveryPages: 4 });

    // Pages 5, 6 and 7: the fifth was read before the failure, but after the checkpoint.
    expect(directory.calls.list - listedBefore).toBe(3);
    expect(retried.status === 'ready' && retried.summary).toMatchObject({
      users: 650,
      pagesRead: 7,
      pagesReadNow: 3,
    });
    expect(bytesOf(retried)).toEqual(await wholeSnapshotOf(directory));
  });

  it('uses the snapshot another invocation stored first, not its own', async () => {
    const directory = directoryOfUsers(150);
    const store = new InMemorySnapshotStore();
    const other = directoryOfUsers(30);
    const otherSnapshot = (await takeWorkOsSnapshot({ directory: other, ...fakeTime() })).snapshot;
    const racing: Pick<UserDirectory, 'listUsers'> = {
      listUsers: async (page) => {
        // Another invocation finishes the job's listing while this one lists.
        if (page.after === undefined) {
          await store.writeComplete(jobId, otherSnapshot, { pagesRead: 1, rateLimited: 0 });
        }
        return directory.listUsers(page);
      },
    };

    const step = await snapshotStep(racing, store);

    expect(step.status === 'ready' && step.summary).toMatchObject({ users: 30, pagesRead: 1 });
    expect(bytesOf(step)).toEqual(otherSnapshot.toBytes());
  });

  it.each([
    { stored: 'nothing', prepare: async () => {} },
    {
      stored: 'a listing checkpoint',
      prepare: (store: InMemorySnapshotStore) =>
        snapshotStep(directoryOfUsers(250), store, { shouldYield: () => true }),
    },
  ])(
    'lets a split that began without a snapshot go on without one when $stored is stored',
    async ({ prepare }) => {
      const store = new InMemorySnapshotStore();
      await prepare(store);
      const directory = directoryOfUsers(250);

      const step = await snapshotStep(directory, store, { splitBegun: true });

      expect(step).toEqual({ status: 'none' });
      expect(directory.calls.list).toBe(0);
    },
  );

  it('gives a split that began with a stored snapshot that snapshot', async () => {
    const directory = directoryOfUsers(250);
    const store = new InMemorySnapshotStore();
    const first = await snapshotStep(directory, store);

    const resumed = await snapshotStep(directory, store, { splitBegun: true });

    expect(bytesOf(resumed)).toEqual(bytesOf(first));
    expect(directory.calls.list).toBe(3);
  });
});
