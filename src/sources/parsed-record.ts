import type { ImportUser } from '../pipeline/user-message.ts';

/** What a source makes of one record of its export. */
export type ParsedRecord =
  | { kind: 'user'; user: ImportUser }
  | { kind: 'rejected'; reason: string; sourceId?: string };

/** Per-job choices a source honours. */
export interface ExportFormatOptions {
  /** Import users the source has blocked (they could then sign in); rejected by default. */
  importBlockedUsers?: boolean;
}

/** Turns one line of an export into a record, or `undefined` for a line that holds none. */
export type LineParser = (text: string) => ParsedRecord | undefined;

/** Deliberately loose: WorkOS has the final word; this only catches what cannot be an email. */
const emailShape = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isPlausibleEmail(value: string): boolean {
  return value.length <= 320 && emailShape.test(value);
}

export function nonEmptyString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
