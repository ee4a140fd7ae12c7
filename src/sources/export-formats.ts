import { createAuth0LineParser } from './auth0-users.ts';
import type { ExportFormatOptions, LineParser } from './parsed-record.ts';

/** Every export format the pipeline reads, by the name a job or a key prefix selects it with. */
export const exportFormats = {
  auth0: createAuth0LineParser,
} as const satisfies Record<string, (options?: ExportFormatOptions) => LineParser>;

export type ExportFormat = keyof typeof exportFormats;
