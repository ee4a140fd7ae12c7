import { createHash } from 'node:crypto';

/** What identifies one uploaded export: the same object always maps to the same job. */
export interface ExportObjectIdentity {
  bucket: string;
  key: string;
  /** S3 version id when the bucket is versioned: a re-upload of the same key is a new job. */
  versionId?: string;
  eTag?: string;
}

/**
 * A job id derived from the object itself, so a duplicate S3 event or a re-run of the splitter
 * for the same object never starts a second job.
 */
export function jobIdFor(object: ExportObjectIdentity): string {
  const identity = [object.bucket, object.key, object.versionId ?? '', object.eTag ?? ''].join(
    '\n',
  );
  return `job_${createHash('sha256').update(identity).digest('hex').slice(0, 20)}`;
}
