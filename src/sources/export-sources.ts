import type { FileKind, SourceFormat } from '../model/job-manifest.ts';
import { auth0Source } from './auth0/source.ts';
import type { ExportSource, OrganizationMappers } from './export-source.ts';
import { otherSourceFormats } from './other-formats.ts';

/**
 * Every source the splitter reads, by the name a job selects it with: what describing a job and
 * planning its split ask of a source, they ask here. Tried in this order when the job does not
 * name its source; at most one recognises any record (the generic layout steps aside for the
 * named sources, and Auth0 comes first).
 */
export const exportSources: Readonly<Record<SourceFormat, ExportSource>> = {
  auth0: auth0Source,
  ...otherSourceFormats,
};

/** The source of a job that neither names one nor has a record any source recognises. */
export const defaultSourceFormat: SourceFormat = 'auth0';

/** Recognises a source by the field names of a record. Auth0 unless another source claims it. */
export function detectFormat(fields: Record<string, unknown>): SourceFormat {
  for (const [name, source] of Object.entries(exportSources)) {
    if (source.detect(fields)) return name as SourceFormat;
  }
  return defaultSourceFormat;
}

/** What a file holds, from its first record: only Auth0 spreads a migration over several kinds. */
export function fileKindOf(fields: Record<string, unknown>): FileKind {
  for (const source of Object.values(exportSources)) {
    const kind = source.fileKindOf?.(fields);
    if (kind !== undefined) return kind;
  }
  return 'users';
}

/**
 * How a job's organizations and members files are read: by its source's mappers, else by
 * Auth0's, the one source whose organization exports the tool knows (a manifest of another
 * source may still name such files).
 */
export function organizationMappersFor(format: SourceFormat): OrganizationMappers {
  return exportSources[format].organizations ?? auth0Source.organizations;
}
