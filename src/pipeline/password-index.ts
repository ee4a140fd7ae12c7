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
 * A bcrypt string is `$2a$`, `$2b$` or `$2y$`, a two-digit cost, `$`, then 22 characters of salt
 * and 31 of hash in bcrypt's base64 alphabet: 60 characters, which V8 keeps in 72 bytes or more
 * besides the pointer. Packed, it takes 41 bytes: the 53 characters at 6 bits each (318 bits)
 * fill 40 bytes with 2 bits to spare; the cost (00-99, 7 bits) takes byte 0 with 1 bit to spare;
 * the two spare bits name the variant. Every character is kept as it was, including the salt's
 * last, of which bcrypt reads only 2 bits: the string rebuilt is the string exported.
 *
 *   byte 0:      bit 7 = variant bit 0, bits 0-6 = cost
 *   bytes 1-39:  characters 1-52, four characters to three bytes
 *   byte 40:     bit 6 = variant bit 1, bits 0-5 = character 53
 *   byte 41:     the note's code (0: none)
 *   bytes 42-45: the password record's line, big-endian (0: the user has no password record)
 *
 * Variant 0 is "no hash", so that an entry's zeroed bytes read as a record without one.
 */
const packedBytes = 41;
const noteByte = packedBytes;
const lineBytes = noteByte + 1;
const entryBytes = lineBytes + 4;
/** Lines of one file of a job (positions number files apart: `filePositionStride`). */
const maxLine = 2 ** 32 - 1;
const bcryptLength = 60;
const prefixLength = 7;
/** Characters 1-52 of the 53, four at a time. */
const fullGroups = 13;
const variantLetters = ' aby';
const bcryptAlphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const sixBitsOf = new Int8Array(128).fill(-1);
for (let value = 0; value < 64; value++) sixBitsOf[bcryptAlphabet.charCodeAt(value)] = value;
const dollar = 0x24;
const digitZero = 0x30;

/** Distinct notes an index can hold. */
const maxNotes = 255;
const unsupportedHashNote = 'password_reset_required:unsupported_hash';

/** Where a hash is packed while it is checked, before it is known to be worth an entry. */
const packedScratch = new Uint8Array(packedBytes);

/**
 * Whether `hash` has the exact shape of a bcrypt hash as WorkOS takes it (what the Auth0 parser
 * accepts): only those are indexed, and so imported.
 */
export function isIndexableBcryptHash(hash: string): boolean {
  return packBcrypt(hash, packedScratch);
}

/**
 * Packs `hash` into `into[0..40]` when it has the shape of bcrypt; returns false otherwise, with
 * `into` unspecified. One pass both checks and packs: the index packs each hash once.
 */
function packBcrypt(hash: string, into: Uint8Array): boolean {
  if (hash.length !== bcryptLength) return false;
  const variant = variantLetters.indexOf(hash.charAt(2));
  const tens = hash.charCodeAt(4) - digitZero;
  const units = hash.charCodeAt(5) - digitZero;
  if (
    hash.charCodeAt(0) !== dollar ||
    hash.charCodeAt(1) !== 0x32 ||
    variant < 1 ||
    hash.charCodeAt(3) !== dollar ||
    !(tens >= 0 && tens <= 9 && units >= 0 && units <= 9) ||
    hash.charCodeAt(6) !== dollar
  ) {
    return false;
  }
  into[0] = (tens * 10 + units) | ((variant & 1) << 7);
  // A character outside the alphabet reads as -1, which sets the sign bit of `outside`.
  let outside = 0;
  let out = 1;
  let char = prefixLength;
  for (let group = 0; group < fullGroups; group++, char += 4, out += 3) {
    const a = sixBitsAt(hash, char);
    const b = sixBitsAt(hash, char + 1);
    const c = sixBitsAt(hash, char + 2);
    const d = sixBitsAt(hash, char + 3);
    outside |= a | b | c | d;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    into[out] = bits >>> 16;
    into[out + 1] = bits >>> 8;
    into[out + 2] = bits;
  }
  const last = sixBitsAt(hash, char);
  into[out] = (last & 0x3f) | ((variant >>> 1) << 6);
  return (outside | last) >= 0;
}

/** The 6-bit value of a character of bcrypt's alphabet, or -1. */
function sixBitsAt(hash: string, index: number): number {
  const code = hash.charCodeAt(index);
  return code < 0x80 ? (sixBitsOf[code] ?? -1) : -1;
}

/** The variant (0 for no hash) of the entry whose 41 bytes start at `at`. */
function variantAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) >>> 7) | ((((bytes[at + packedBytes - 1] ?? 0) >>> 6) & 1) << 1);
}

const unpacked: number[] = Array.from({ length: bcryptLength }, () => 0);

function unpackBcrypt(bytes: Uint8Array, at: number, variant: number): string {
  const cost = (bytes[at] ?? 0) & 0x7f;
  unpacked[0] = dollar;
  unpacked[1] = 0x32;
  unpacked[2] = variantLetters.charCodeAt(variant);
  unpacked[3] = dollar;
  unpacked[4] = digitZero + Math.floor(cost / 10);
  unpacked[5] = digitZero + (cost % 10);
  unpacked[6] = dollar;
  let from = at + 1;
  let char = prefixLength;
  for (let group = 0; group < fullGroups; group++, char += 4, from += 3) {
    const bits =
      ((bytes[from] ?? 0) << 16) | ((bytes[from + 1] ?? 0) << 8) | (bytes[from + 2] ?? 0);
    unpacked[char] = bcryptAlphabet.charCodeAt(bits >>> 18);
    unpacked[char + 1] = bcryptAlphabet.charCodeAt((bits >>> 12) & 0x3f);
    unpacked[char + 2] = bcryptAlphabet.charCodeAt((bits >>> 6) & 0x3f);
    unpacked[char + 3] = bcryptAlphabet.charCodeAt(bits & 0x3f);
  }
  unpacked[char] = bcryptAlphabet.charCodeAt((bytes[from] ?? 0) & 0x3f);
  return String.fromCharCode(...unpacked);
}

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
    const variant = variantAt(bytes, at);
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
    return variantAt(this.#entries.chunkOf(userEntry), this.#entries.offsetOf(userEntry)) !== 0;
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
