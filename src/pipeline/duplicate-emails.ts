import { fingerprintOfLowerCase, fingerprintWords } from './fingerprint.ts';
import { EntryBytes, FingerprintTable, type FingerprintTableOptions } from './fingerprint-table.ts';

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
 * How strongly a record claims its email: a password hash (its owner can sign in as before)
 * counts 2, a database (`auth0|`) record 1, so the database record with a hash ranks 3.
 */
export function duplicateEmailRank(sourceId: string, hasPasswordHash: boolean): number {
  return (hasPasswordHash ? 2 : 0) + (sourceId.startsWith('auth0|') ? 1 : 0);
}

/** An entry's byte: its winner's rank in the low bits, and whether a second record came. */
const seenTwice = 0x80;
const maxRank = 0x7f;

/**
 * Plans the merges from one reading of the export: the splitter adds every user record, then
 * `finish` gives the plan it splits with.
 *
 * Memory while planning is one entry per distinct email, about 30 bytes for a million emails:
 * a 96-bit fingerprint of the lower-cased email (never the email itself; the odds that two
 * emails share one, which would merge two users, are in `fingerprint.ts`), the winner's line as a
 * float64 (any line up to 2^53, so positions that number several files too), and a byte for the
 * winner's rank and the seen-twice flag. `finish` keeps only the emails seen twice.
 */
export class DuplicateEmailPlanner {
  #emails: FingerprintTable | undefined;
  #ranks: EntryBytes | undefined = new EntryBytes(1);
  #duplicatedEmails = 0;
  readonly #key = new Uint32Array(fingerprintWords);

  /** `expectedSize`: distinct emails to make room for at once, when about known. */
  constructor(options: FingerprintTableOptions = {}) {
    this.#emails = new FingerprintTable(options);
  }

  /**
   * One user record: its email (compared without regard to case), its line, and its rank (see
   * `duplicateEmailRank`; 0 to 127). The higher rank wins the email; of equal ranks, the earlier
   * line. Each record is added once: a record added twice counts as a duplicate of itself.
   */
  add(email: string, line: number, rank: number): void {
    const emails = this.#emails;
    const ranks = this.#ranks;
    if (emails === undefined || ranks === undefined) {
      throw new Error('DuplicateEmailPlanner.add() after finish()');
    }
    if (!(Number.isSafeInteger(line) && line >= 0)) {
      throw new RangeError(`A line is an integer from 0 to 2^53 - 1, not ${line}`);
    }
    if (!(Number.isInteger(rank) && rank >= 0 && rank <= maxRank)) {
      throw new RangeError(`A rank is an integer from 0 to ${maxRank}, not ${rank}`);
    }
    fingerprintOfLowerCase(email, this.#key);
    const sizeBefore = emails.size;
    const entry = emails.findOrAdd(this.#key);
    const chunk = ranks.chunkOf(entry);
    const at = ranks.offsetOf(entry);
    if (emails.size > sizeBefore) {
      emails.setValueAt(entry, line);
      chunk[at] = rank;
      return;
    }
    const held = chunk[at] ?? 0;
    if ((held & seenTwice) === 0) this.#duplicatedEmails++;
    const heldRank = held & maxRank;
    if (rank > heldRank || (rank === heldRank && line < emails.valueAt(entry))) {
      emails.setValueAt(entry, line);
      chunk[at] = rank | seenTwice;
    } else {
      chunk[at] = held | seenTwice;
    }
  }

  /**
   * The plan. Most exports have no shared email: the plan is then `noDuplicateEmails` and every
   * entry is let go. Otherwise only the duplicated emails are kept, so that the memory of the
   * planning is free again before the split begins. The planner takes no records after this.
   */
  finish(): DuplicateEmailPlan {
    const emails = this.#emails;
    const ranks = this.#ranks;
    if (emails === undefined || ranks === undefined) {
      throw new Error('DuplicateEmailPlanner.finish() called twice');
    }
    this.#emails = undefined;
    this.#ranks = undefined;
    const duplicatedEmails = this.#duplicatedEmails;
    if (duplicatedEmails === 0) return noDuplicateEmails;

    const winners = new FingerprintTable({ expectedSize: duplicatedEmails });
    const key = this.#key;
    for (let entry = 0; entry < emails.size; entry++) {
      if (((ranks.chunkOf(entry)[ranks.offsetOf(entry)] ?? 0) & seenTwice) === 0) continue;
      emails.copyKey(entry, key);
      winners.set(key, emails.valueAt(entry));
    }
    return {
      duplicatedEmails,
      mergedInto(email, line) {
        fingerprintOfLowerCase(email, key);
        const winnerLine = winners.get(key);
        return winnerLine === line ? undefined : winnerLine;
      },
    };
  }

  /** Bytes of typed arrays held while planning (0 once finished). */
  bytesUsed(): number {
    return (this.#emails?.bytesUsed() ?? 0) + (this.#ranks?.bytesUsed() ?? 0);
  }
}
