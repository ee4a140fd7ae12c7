import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type {
  ListingTally,
  SnapshotStore,
  StoredCompleteSnapshot,
  StoredSnapshot,
} from './snapshot-of-job.ts';
import type { SnapshotCheckpoint } from './take-workos-snapshot.ts';
import { WorkOsSnapshot } from './workos-snapshot.ts';

export interface S3SnapshotStoreOptions {
  s3: S3Client;
  bucket: string;
  /** Each job's objects are under `<prefix><jobId>/`. */
  prefix: string;
}

/** The finished snapshot: written once, read by every invocation of the job's split. */
const completeName = 'workos-users.snapshot';
/** The listing's checkpoint: the users listed so far, with the cursor in the object's metadata. */
const checkpointName = 'workos-users.partial';

/**
 * A job's snapshot in the export bucket, under the snapshot prefix. The objects are what says
 * where the job's snapshot stands, so nothing else has to agree with them: the checkpoint
 * carries its cursor in its own metadata (one PUT, never half written), and the finished
 * snapshot is written only if absent, so the first one stored is the job's. The bucket encrypts
 * them with its KMS key and expires them like the exports.
 */
export class S3SnapshotStore implements SnapshotStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor({ s3, bucket, prefix }: S3SnapshotStoreOptions) {
    this.#s3 = s3;
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  /** Where the job's objects are. */
  keysOf(jobId: string): { folder: string; complete: string; checkpoint: string } {
    const folder = `${this.#prefix}${jobId}/`;
    return { folder, complete: folder + completeName, checkpoint: folder + checkpointName };
  }

  async read(jobId: string): Promise<StoredSnapshot> {
    const keys = this.keysOf(jobId);
    // Listed rather than asked for by key: a GET of an absent key is answered 403, not 404,
    // to a role without bucket listing, and this role may list only the snapshot prefix.
    const listed = await this.#s3.send(
      new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: keys.folder }),
    );
    const present = new Set((listed.Contents ?? []).map((object) => object.Key));
    if (present.has(keys.complete))
      return { stage: 'complete', ...(await this.#readComplete(jobId)) };
    if (!present.has(keys.checkpoint)) return { stage: 'none' };
    const { bytes, metadata } = await this.#get(keys.checkpoint);
    if (metadata.after === undefined) throw new Error('The snapshot checkpoint has no cursor');
    return {
      stage: 'listing',
      checkpoint: {
        after: decodeURIComponent(metadata.after),
        partial: WorkOsSnapshot.fromBytes(bytes),
      },
      tally: tallyOf(metadata),
    };
  }

  async writeCheckpoint(
    jobId: string,
    checkpoint: SnapshotCheckpoint,
    tally: ListingTally,
  ): Promise<number> {
    const body = checkpoint.partial.toBytes();
    await this.#s3.send(
      new PutObjectCommand({
        ...this.#objectOf(this.keysOf(jobId).checkpoint, body, tally),
        // WorkOS cursors are ids; encoded all the same, as metadata must be plain ASCII.
        Metadata: { ...metadataOf(tally), after: encodeURIComponent(checkpoint.after) },
      }),
    );
    return body.length;
  }

  async writeComplete(
    jobId: string,
    snapshot: WorkOsSnapshot,
    tally: ListingTally,
  ): Promise<StoredCompleteSnapshot> {
    const body = snapshot.toBytes();
    try {
      await this.#s3.send(
        new PutObjectCommand({
          ...this.#objectOf(this.keysOf(jobId).complete, body, tally),
          IfNoneMatch: '*',
        }),
      );
      return { snapshot, bytes: body.length, tally };
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      // Another invocation stored the job's snapshot first: that one is the job's.
      return this.#readComplete(jobId);
    }
  }

  async #readComplete(jobId: string): Promise<StoredCompleteSnapshot> {
    const { bytes, metadata } = await this.#get(this.keysOf(jobId).complete);
    return {
      snapshot: WorkOsSnapshot.fromBytes(bytes),
      bytes: bytes.length,
      tally: tallyOf(metadata),
    };
  }

  async #get(key: string): Promise<{ bytes: Uint8Array; metadata: Record<string, string> }> {
    const response = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    if (response.Body === undefined) throw new Error('S3 returned an object without a body');
    return { bytes: await response.Body.transformToByteArray(), metadata: response.Metadata ?? {} };
  }

  #objectOf(key: string, body: Uint8Array, tally: ListingTally) {
    // No encryption named: the bucket's default (its KMS key) applies, as for the reports.
    return {
      Bucket: this.#bucket,
      Key: key,
      Body: body,
      ContentType: 'application/octet-stream',
      Metadata: metadataOf(tally),
    };
  }
}

function metadataOf(tally: ListingTally): Record<string, string> {
  return { 'pages-read': String(tally.pagesRead), 'rate-limited': String(tally.rateLimited) };
}

function tallyOf(metadata: Record<string, string>): ListingTally {
  return {
    pagesRead: Number(metadata['pages-read'] ?? 0),
    rateLimited: Number(metadata['rate-limited'] ?? 0),
  };
}

/** S3's answer to a conditional write whose condition failed: the object is there already. */
function isPreconditionFailed(error: unknown): boolean {
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412;
}
