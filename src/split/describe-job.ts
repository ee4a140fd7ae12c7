import { posix } from 'node:path';
import {
  type FileKind,
  inSplitOrder,
  type JobManifest,
  type ManifestOptions,
  resolveManifestFileKey,
  type SourceFormat,
  sourceFormats,
} from '../model/job-manifest.ts';
import { defaultSourceFormat, detectFormat, fileKindOf } from '../sources/export-sources.ts';
import {
  detectRecordLayout,
  type RecordLayout,
  readExportHead,
  readExportRecords,
} from '../sources/formats/export-records.ts';
import type { JobFile, JobToSplit } from './plan-split.ts';

/** Recognising a source, and what a file of it holds, is the sources registry's. */
export { detectFormat, fileKindOf } from '../sources/export-sources.ts';

/** Opens the bytes behind a key (an S3 object, or a file on disk in local mode). */
export type OpenKey = (
  key: string,
) => Promise<AsyncIterable<Uint8Array> & { destroy?: () => void }>;

export class UnrecognisedExportError extends Error {
  override name = 'UnrecognisedExportError';
}

/** A file of a job as named by a manifest, a command line or an upload. */
export interface JobFileEntry {
  key: string;
  /** Recognised from the first record when absent. */
  kind?: FileKind;
  layout?: RecordLayout;
  organizationId?: string;
}

/**
 * Describes a job: its files in split order (organizations, users, the password export,
 * members), each with its layout (NDJSON, JSON array, CSV: from its first bytes) and what it
 * holds (from its first record, unless named). The source is the one named (a manifest's
 * `format`, the key's folder), else recognised from the first users file's first record.
 * A job of one file numbers no files: its records' positions are their lines.
 */
export async function describeJob(
  job: {
    jobId: string;
    files: JobFileEntry[];
    format?: SourceFormat;
    options?: ManifestOptions;
  },
  openKey: OpenKey,
): Promise<JobToSplit> {
  let format = job.format;
  const described: (JobFile & { detectedFrom?: Record<string, unknown> })[] = [];
  for (const entry of job.files) {
    const layout = entry.layout ?? (await layoutOf(entry.key, openKey));
    const needsFields =
      entry.kind === undefined || (format === undefined && entry.kind === 'users');
    const fields = needsFields ? await firstRecordFields(entry.key, layout, openKey) : undefined;
    if (format === undefined && fields !== undefined && (entry.kind ?? 'users') === 'users') {
      format = detectFormat(fields);
    }
    described.push({
      sourceFile: entry.key,
      kind: entry.kind ?? (fields === undefined ? 'users' : fileKindOf(fields)),
      layout,
      ...(entry.organizationId === undefined ? {} : { organizationId: entry.organizationId }),
    });
  }
  const ordered = inSplitOrder(described);
  const files =
    ordered.length === 1 ? ordered : ordered.map((file, index) => ({ ...file, file: index }));
  return {
    jobId: job.jobId,
    format: format ?? defaultSourceFormat,
    files,
    options: job.options ?? {},
  };
}

/** A manifest's job: its files resolved against the manifest's folder. */
export function describeManifestJob(
  job: { jobId: string; manifestKey: string; manifest: JobManifest },
  openKey: OpenKey,
): Promise<JobToSplit> {
  return describeJob(
    {
      jobId: job.jobId,
      files: job.manifest.files.map((entry) => ({
        ...entry,
        key: resolveManifestFileKey(job.manifestKey, entry.key),
      })),
      ...(job.manifest.format === undefined ? {} : { format: job.manifest.format }),
      options: job.manifest.options,
    },
    openKey,
  );
}

/** The source named by the key's first folder under the export prefix, if it names one. */
export function formatFromKey(key: string, exportPrefix: string): SourceFormat | undefined {
  const rest = key.startsWith(exportPrefix) ? key.slice(exportPrefix.length) : key;
  const folder = rest.split('/')[0];
  if (rest.includes('/') && (sourceFormats as readonly string[]).includes(folder ?? '')) {
    return folder as SourceFormat;
  }
  return undefined;
}

async function layoutOf(key: string, openKey: OpenKey): Promise<RecordLayout> {
  const body = await openKey(key);
  try {
    const head = await readExportHead(body);
    const layout = detectRecordLayout(head);
    if (layout === undefined) {
      throw new UnrecognisedExportError(
        `${posix.basename(key)} is neither NDJSON, a JSON array nor CSV`,
      );
    }
    return layout;
  } finally {
    body.destroy?.();
  }
}

async function firstRecordFields(
  key: string,
  layout: RecordLayout,
  openKey: OpenKey,
): Promise<Record<string, unknown> | undefined> {
  const body = await openKey(key);
  try {
    let examined = 0;
    for await (const record of readExportRecords(body, { layout })) {
      if (record.fields !== undefined) return record.fields;
      examined += 1;
      // A file whose first records are all unreadable is split anyway: they are rejected there.
      if (examined >= 100) return undefined;
    }
    return undefined;
  } finally {
    body.destroy?.();
  }
}
