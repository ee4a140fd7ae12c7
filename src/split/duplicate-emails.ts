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

/**
 * An entry's byte: the first record's rank in the low bits, whether that record may still gain a
 * password hash (it named a user of the password index), and whether a second record came.
 */
const seenTwice = 0x80;
const mayGainPassword = 0x40;
const maxRank = 0x3f;
/** What a password hash found later adds to a record's rank (see `duplicateEmailRank`). */
const passwordRank = 2;

/**
 * Plans the merges from one reading of the export: the splitter adds every user record, then
 * `finish` keeps the records of the emails seen more than once, and `resolve` picks each email's
 * winner. In a job with a password export, the users export is read first: whether a record has
 * a hash is only known once the password export has been read, so the rank a hash adds is
 * settled by `resolve`, after that.
 *
 * Memory while planning is one entry per distinct email, about 33 bytes for a million emails:
 * a 96-bit fingerprint of the lower-cased email (never the email itself; the odds that two
 * emails share one, which would merge two users, are in `fingerprint.ts`), the first record's
 * line as a float64 (any line up to 2^53, so positions that number several files too), its
 * user's entry in the password index (4 bytes) and a byte for its rank and flags. `finish` lets
 * all of it go but the emails seen twice.
 */
export class DuplicateEmailPlanner {
  #emails: FingerprintTable | undefined;
  #ranks: EntryBytes | undefined = new EntryBytes(1);
  #userEntries: EntryBytes | undefined = new EntryBytes(4);
  /** Every record after the first of an email: few, unless the export is unusual. */
  readonly #later = new CandidateList();
  #duplicatedEmails = 0;
  readonly #key = new Uint32Array(fingerprintWords);

  /** `expectedSize`: distinct emails to make room for at once, when about known. */
  constructor(options: FingerprintTableOptions = {}) {
    this.#emails = new FingerprintTable(options);
  }

  /**
   * One user record: its email (compared without regard to case), its line, and its rank (see
   * `duplicateEmailRank`; 0 to 63). The higher rank wins the email; of equal ranks, the earlier
   * line. `userEntry`, the record's user in the password index (`PasswordIndex.addUser`), when
   * the password export may still give it a hash. Each record is added once: a record added
   * twice counts as a duplicate of itself.
   */
  add(email: string, line: number, rank: number, userEntry?: number): void {
    const emails = this.#emails;
    const ranks = this.#ranks;
    const userEntries = this.#userEntries;
    if (emails === undefined || ranks === undefined || userEntries === undefined) {
      throw new Error('DuplicateEmailPlanner.add() after finish()');
    }
    if (!(Number.isSafeInteger(line) && line >= 0)) {
      throw new RangeError(`A line is an integer from 0 to 2^53 - 1, not ${line}`);
    }
    if (!(Number.isInteger(rank) && rank >= 0 && rank <= maxRank)) {
      throw new RangeError(`A rank is an integer from 0 to ${maxRank}, not ${rank}`);
    }
    const flags = userEntry === undefined ? rank : rank | mayGainPassword;
    fingerprintOfLowerCase(email, this.#key);
    const sizeBefore = emails.size;
    const entry = emails.findOrAdd(this.#key);
    const chunk = ranks.chunkOf(entry);
    const at = ranks.offsetOf(entry);
    if (emails.size > sizeBefore) {
      emails.setValueAt(entry, line);
      chunk[at] = flags;
      if (userEntry !== undefined) writeUint32(userEntries, entry, userEntry);
      return;
    }
    const held = chunk[at] ?? 0;
    if ((held & seenTwice) === 0) {
      this.#duplicatedEmails++;
      chunk[at] = held | seenTwice;
    }
    this.#later.push(this.#key, line, flags, userEntry ?? 0);
  }

  /**
   * The records of the emails seen more than once, for `resolve`. The planner takes no records
   * after this, and lets go of every entry, so that its memory is free again before the password
   * export is read.
   */
  finish(): DuplicateEmailCandidates {
    const emails = this.#emails;
    const ranks = this.#ranks;
    const userEntries = this.#userEntries;
    if (emails === undefined || ranks === undefined || userEntries === undefined) {
      throw new Error('DuplicateEmailPlanner.finish() called twice');
    }
    this.#emails = undefined;
    this.#ranks = undefined;
    this.#userEntries = undefined;
    const candidates = new CandidateList();
    if (this.#duplicatedEmails > 0) {
      const key = this.#key;
      for (let entry = 0; entry < emails.size; entry++) {
        const flags = ranks.chunkOf(entry)[ranks.offsetOf(entry)] ?? 0;
        if ((flags & seenTwice) === 0) continue;
        emails.copyKey(entry, key);
        candidates.push(key, emails.valueAt(entry), flags, readUint32(userEntries, entry));
      }
      candidates.append(this.#later);
    }
    return new DuplicateEmailCandidates(candidates, this.#duplicatedEmails);
  }

  /** Bytes of typed arrays held while planning (0 once finished). */
  bytesUsed(): number {
    return (
      (this.#emails?.bytesUsed() ?? 0) +
      (this.#ranks?.bytesUsed() ?? 0) +
      (this.#userEntries?.bytesUsed() ?? 0) +
      this.#later.bytesUsed()
    );
  }
}

/** The records of the emails several records share, until their ranks are complete. */
export class DuplicateEmailCandidates {
  readonly #candidates: CandidateList;
  readonly #duplicatedEmails: number;

  constructor(candidates: CandidateList, duplicatedEmails: number) {
    this.#candidates = candidates;
    this.#duplicatedEmails = duplicatedEmails;
  }

  /**
   * The plan. `hasPasswordHashAt` says whether a user of the password index has a hash: a record
   * added with its user's entry ranks `passwordRank` higher when it does. Most exports have no
   * shared email: the plan is then `noDuplicateEmails`.
   */
  resolve(hasPasswordHashAt?: (userEntry: number) => boolean): DuplicateEmailPlan {
    const duplicatedEmails = this.#duplicatedEmails;
    if (duplicatedEmails === 0) return noDuplicateEmails;
    const winners = new FingerprintTable({ expectedSize: duplicatedEmails });
    const winnerRanks = new EntryBytes(1);
    const candidates = this.#candidates;
    const key = new Uint32Array(fingerprintWords);
    for (let index = 0; index < candidates.length; index++) {
      const flags = candidates.flagsAt(index);
      const gainsPassword =
        (flags & mayGainPassword) !== 0 &&
        hasPasswordHashAt?.(candidates.userEntryAt(index)) === true;
      const rank = (flags & maxRank) + (gainsPassword ? passwordRank : 0) + 1;
      const line = candidates.lineAt(index);
      candidates.copyEmailKey(index, key);
      const sizeBefore = winners.size;
      const entry = winners.findOrAdd(key);
      const chunk = winnerRanks.chunkOf(entry);
      const at = winnerRanks.offsetOf(entry);
      // Ranks are stored plus one, so that 0 means "no record yet".
      const heldRank = winners.size > sizeBefore ? 0 : (chunk[at] ?? 0);
      if (rank > heldRank || (rank === heldRank && line < winners.valueAt(entry))) {
        winners.setValueAt(entry, line);
        chunk[at] = rank;
      }
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
}

/** Records as growable columns: email fingerprint, line, rank and flags, user entry. */
class CandidateList {
  #emailKeys = new Uint32Array(0);
  #lines = new Float64Array(0);
  #flags = new Uint8Array(0);
  #userEntries = new Uint32Array(0);
  length = 0;

  push(emailKey: Uint32Array, line: number, flags: number, userEntry: number): void {
    if (this.length === this.#lines.length) this.#grow(Math.max(16, this.length * 2));
    const index = this.length++;
    this.#emailKeys.set(emailKey.subarray(0, fingerprintWords), index * fingerprintWords);
    this.#lines[index] = line;
    this.#flags[index] = flags;
    this.#userEntries[index] = userEntry;
  }

  append(other: CandidateList): void {
    const key = new Uint32Array(fingerprintWords);
    for (let index = 0; index < other.length; index++) {
      other.copyEmailKey(index, key);
      this.push(key, other.lineAt(index), other.flagsAt(index), other.userEntryAt(index));
    }
  }

  copyEmailKey(index: number, into: Uint32Array): void {
    into.set(this.#emailKeys.subarray(index * fingerprintWords, (index + 1) * fingerprintWords));
  }

  lineAt(index: number): number {
    return this.#lines[index] ?? 0;
  }

  flagsAt(index: number): number {
    return this.#flags[index] ?? 0;
  }

  userEntryAt(index: number): number {
    return this.#userEntries[index] ?? 0;
  }

  bytesUsed(): number {
    return (
      this.#emailKeys.byteLength +
      this.#lines.byteLength +
      this.#flags.byteLength +
      this.#userEntries.byteLength
    );
  }

  #grow(capacity: number): void {
    const emailKeys = new Uint32Array(capacity * fingerprintWords);
    emailKeys.set(this.#emailKeys);
    const lines = new Float64Array(capacity);
    lines.set(this.#lines);
    const flags = new Uint8Array(capacity);
    flags.set(this.#flags);
    const userEntries = new Uint32Array(capacity);
    userEntries.set(this.#userEntries);
    this.#emailKeys = emailKeys;
    this.#lines = lines;
    this.#flags = flags;
    this.#userEntries = userEntries;
  }
}

function writeUint32(column: EntryBytes, entry: number, value: number): void {
  const chunk = column.chunkOf(entry);
  const at = column.offsetOf(entry);
  chunk[at] = value >>> 24;
  chunk[at + 1] = value >>> 16;
  chunk[at + 2] = value >>> 8;
  chunk[at + 3] = value;
}

function readUint32(column: EntryBytes, entry: number): number {
  const chunk = column.chunkOf(entry);
  const at = column.offsetOf(entry);
  return (
    (((chunk[at] ?? 0) << 24) |
      ((chunk[at + 1] ?? 0) << 16) |
      ((chunk[at + 2] ?? 0) << 8) |
      (chunk[at + 3] ?? 0)) >>>
    0
  );
}
