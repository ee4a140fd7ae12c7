import {
  packBcrypt,
  packedBcryptBytes,
  packedBcryptVariantAt,
  unpackBcrypt,
} from '../sources/packed-bcrypt.ts';
import { fingerprintOf, fingerprintWords } from './fingerprint.ts';
import { EntryBytes, FingerprintTable, type FingerprintTableOptions } from './fingerprint-table.ts';

/** What the password-hash export says about one user, as the users export's split needs it. */
export interface IndexedPassword {
  /** The record's line in the password-hash export. */
  line: number;
  /** A bcrypt modular-crypt string, exactly as exported. */
  passwordHash?: string;
  passwordHashType?: 'bcrypt';
  /** Why there is no hash to import (a short code such as `password_reset_required:...`). */
  note?: string;
}

/*
 * An entry: the packed hash (`packedBcryptBytes`, see packed-bcrypt.ts), then
 *   byte 41:     the note's code (0: none)
 *   bytes 42-45: the password record's line, big-endian (0: the user has no password record)
 * Variant 0 is "no hash", so that an entry's zeroed bytes read as a record without one.
 */
const noteByte = packedBcryptBytes;
const lineBytes = noteByte + 1;
const entryBytes = lineBytes + 4;
/** Lines of one file of a job (positions number files apart: `filePositionStride`). */
const maxLine = 2 ** 32 - 1;

/** Distinct notes an index can hold. */
const maxNotes = 255;
const unsupportedHashNote = 'password_reset_required:unsupported_hash';

/** Where a hash is packed while it is checked, before it is known to be worth an entry. */
const packedScratch = new Uint8Array(packedBcryptBytes);

/** What became of a record of the password export: see `PasswordIndex.add`. */
export type PasswordJoin = 'joined' | 'duplicate' | 'no_user';

/**
 * The join between the users export and the password-hash export, by Auth0 user id
 * (`auth0|...`): the splitter adds the id of every record of the users export, then every record
 * of the password export, which joins its user; then each user of the users export is looked up
 * by its id when it is split.
 *
 * Memory is one entry per user, about 66 bytes for a million: a 96-bit fingerprint of the id
 * (never the id; the fingerprint's odds of mistaking one id for another are in `fingerprint.ts`)
 * and its slot, the hash packed into 41 bytes, a byte for the note and the password record's line
 * in 4 bytes.
 */
export class PasswordIndex {
  readonly #ids: FingerprintTable;
  readonly #entries = new EntryBytes(entryBytes);
  readonly #noteCodes = new Map<string, number>();
  /** Notes by code; code 0 is "no note". */
  readonly #notes: string[] = [''];
  readonly #key = new Uint32Array(fingerprintWords);
  #joinedPasswords = 0;
  #duplicateIds = 0;

  /** `expectedSize`: users to make room for at once, when about known. */
  constructor(options: FingerprintTableOptions = {}) {
    this.#ids = new FingerprintTable(options);
  }

  /**
   * A user of the users export (imported or rejected: either way its password record is settled
   * with it). Returns the user's entry number, the same for the same id.
   */
  addUser(sourceId: string): number {
    fingerprintOf(sourceId, this.#key);
    return this.#ids.findOrAdd(this.#key);
  }

  /**
   * The record at `entry.line` of the password export holds `sourceId`. Its hash is a bcrypt
   * string, or absent with a `note` saying why. A hash of any other shape (see
   * `isIndexableBcryptHash`) is not kept: the entry gets the note
   * `password_reset_required:unsupported_hash` instead, as the Auth0 parser does.
   *
   * Returns `joined` when the record is kept for its user; `duplicate` for a second record of a
   * user (the first stands; `duplicateIds` counts the others); `no_user` when the users export
   * has no such user, and nothing is kept.
   */
  add(sourceId: string, entry: IndexedPassword): PasswordJoin {
    const { line, passwordHash, passwordHashType, note } = entry;
    if (!(Number.isInteger(line) && line >= 1 && line <= maxLine)) {
      throw new RangeError(`A line is an integer from 1 to 2^32 - 1, not ${line}`);
    }
    fingerprintOf(sourceId, this.#key);
    const index = this.#ids.find(this.#key);
    if (index === -1) return 'no_user';
    const bytes = this.#entries.chunkOf(index);
    const at = this.#entries.offsetOf(index);
    if (lineAt(bytes, at) !== 0) {
      this.#duplicateIds++;
      return 'duplicate';
    }
    const indexable =
      passwordHash !== undefined &&
      (passwordHashType === undefined || passwordHashType === 'bcrypt') &&
      packBcrypt(passwordHash, packedScratch);
    let noteKept = note;
    if (passwordHash !== undefined && !indexable) {
      noteKept = note === undefined ? unsupportedHashNote : `${note};${unsupportedHashNote}`;
    }
    if (indexable) bytes.set(packedScratch, at);
    bytes[at + noteByte] = noteKept === undefined ? 0 : this.#codeOf(noteKept);
    bytes[at + lineBytes] = line >>> 24;
    bytes[at + lineBytes + 1] = line >>> 16;
    bytes[at + lineBytes + 2] = line >>> 8;
    bytes[at + lineBytes + 3] = line;
    this.#joinedPasswords++;
    return 'joined';
  }

  /** The password record of the user with this id, or `undefined` when it has none. */
  get(sourceId: string): IndexedPassword | undefined {
    const index = this.#indexOf(sourceId);
    if (index === -1) return undefined;
    const bytes = this.#entries.chunkOf(index);
    const at = this.#entries.offsetOf(index);
    const line = lineAt(bytes, at);
    if (line === 0) return undefined;
    const variant = packedBcryptVariantAt(bytes, at);
    const noteCode = bytes[at + noteByte] ?? 0;
    const note = noteCode === 0 ? undefined : this.#notes[noteCode];
    const found: IndexedPassword = { line };
    if (variant !== 0) {
      found.passwordHash = unpackBcrypt(bytes, at, variant);
      found.passwordHashType = 'bcrypt';
    }
    if (note !== undefined) found.note = note;
    return found;
  }

  /** The line of the id's password record, without rebuilding its hash; `undefined` if none. */
  lineOf(sourceId: string): number | undefined {
    const index = this.#indexOf(sourceId);
    if (index === -1) return undefined;
    const line = lineAt(this.#entries.chunkOf(index), this.#entries.offsetOf(index));
    return line === 0 ? undefined : line;
  }

  /** Whether the user at `userEntry` (from `addUser`) has a password record with a hash. */
  hasPasswordHashAt(userEntry: number): boolean {
    if (!(Number.isInteger(userEntry) && userEntry >= 0 && userEntry < this.#ids.size)) {
      return false;
    }
    return (
      packedBcryptVariantAt(this.#entries.chunkOf(userEntry), this.#entries.offsetOf(userEntry)) !==
      0
    );
  }

  /** Users held (each id once). */
  get size(): number {
    return this.#ids.size;
  }

  /** Password records joined into their users. */
  get joinedPasswords(): number {
    return this.#joinedPasswords;
  }

  /** Password records whose user already had one. */
  get duplicateIds(): number {
    return this.#duplicateIds;
  }

  /** Bytes of typed arrays held. */
  bytesUsed(): number {
    return this.#ids.bytesUsed() + this.#entries.bytesUsed();
  }

  #indexOf(sourceId: string): number {
    fingerprintOf(sourceId, this.#key);
    return this.#ids.find(this.#key);
  }

  #codeOf(note: string): number {
    let code = this.#noteCodes.get(note);
    if (code === undefined) {
      if (this.#notes.length > maxNotes) {
        throw new RangeError(`PasswordIndex holds at most ${maxNotes} distinct notes`);
      }
      code = this.#notes.length;
      this.#notes.push(note);
      this.#noteCodes.set(note, code);
    }
    return code;
  }
}

function lineAt(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at + lineBytes] ?? 0) << 24) |
      ((bytes[at + lineBytes + 1] ?? 0) << 16) |
      ((bytes[at + lineBytes + 2] ?? 0) << 8) |
      (bytes[at + lineBytes + 3] ?? 0)) >>>
    0
  );
}
