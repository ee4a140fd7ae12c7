import { createHash } from 'node:crypto';
import type { ExportLine } from '../sources/export-lines.ts';
import type { LineParser } from '../sources/parsed-record.ts';
import type { ImportUser } from './user-message.ts';

/**
 * Which records of an export share an email, and which of them stands for it. WorkOS holds one
 * user per email, while Auth0 allows several records with one email (a database user and a
 * social login, say): one is imported, the others are reported as merged into it.
 */
export interface DuplicateEmailPlan {
  /** The line of the record that stands for this email, when it is not `line` itself. */
  mergedInto(email: string, line: number): number | undefined;
  /** Emails held by more than one record. */
  readonly duplicatedEmails: number;
}

/** A plan for an export without duplicates (or a format that needs none). */
export const noDuplicateEmails: DuplicateEmailPlan = {
  mergedInto: () => undefined,
  duplicatedEmails: 0,
};

/**
 * Reads the export once to plan the merges. The record that stands for an email is the one with
 * a password hash (its owner can sign in as before), then a database (`auth0|`) record, then the
 * first. Memory is one small entry per distinct email: a 96-bit digest of the email, never the
 * email itself, and the winner's line packed with its rank into one number.
 */
export async function planDuplicateEmails(
  lines: AsyncIterable<ExportLine>,
  parseLine: LineParser,
): Promise<DuplicateEmailPlan> {
  const winners = new Map<string, number>();
  const duplicated = new Set<string>();
  for await (const { line, text, unreadable } of lines) {
    if (unreadable !== undefined) continue;
    const parsed = parseLine(text);
    if (parsed?.kind !== 'user') continue;
    const key = emailKey(parsed.user.email);
    const candidate = line * rankSlots + rankOf(parsed.user);
    const current = winners.get(key);
    if (current === undefined) {
      winners.set(key, candidate);
      continue;
    }
    duplicated.add(key);
    if (candidate % rankSlots > current % rankSlots) winners.set(key, candidate);
  }
  // Most exports have no shared email: then nothing needs hashing a second time.
  if (duplicated.size === 0) return noDuplicateEmails;
  return {
    duplicatedEmails: duplicated.size,
    mergedInto(email, line) {
      const key = emailKey(email);
      if (!duplicated.has(key)) return undefined;
      const winnerLine = Math.floor((winners.get(key) ?? 0) / rankSlots);
      return winnerLine === line ? undefined : winnerLine;
    },
  };
}

/** Ranks pack into the low bits of the winner's entry: line × 4 + rank. */
const rankSlots = 4;

function rankOf(user: ImportUser): number {
  return (user.passwordHash === undefined ? 0 : 2) + (user.sourceId.startsWith('auth0|') ? 1 : 0);
}

function emailKey(email: string): string {
  return createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 16);
}
