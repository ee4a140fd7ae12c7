import { parseAuth0UserLine } from './auth0-users.ts';
import type { LineParser } from './parsed-record.ts';

/** Every export format the pipeline reads, by the name a job or a key prefix selects it with. */
export const exportFormats = {
  auth0: parseAuth0UserLine,
} as const satisfies Record<string, LineParser>;

export type ExportFormat = keyof typeof exportFormats;
