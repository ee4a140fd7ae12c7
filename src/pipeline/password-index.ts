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
 *   byte 41:     bit 7 = the users export has this user (`markUser`), bits 0-6 = the note's code
 *
 * Variant 0 is "no hash", so that an entry's zeroed bytes read as a record without one.
 */
const packedBytes = 41;
const entryBytes = packedBytes + 1;
const userMark = 0x80;
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

/** Distinct notes an index can hold: a note's code shares its byte with the user mark. */
const maxNotes = 127;
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

/**
 * The join between the password-hash export and the users export, by Auth0 user id
 * (`auth0|...`): the splitter adds every record of the password export, then looks each user of
 * the users export up by its id.
 *
 * Memory is one entry per id, about 71 bytes for a million: a 96-bit fingerprint of the id
 * (never the id; the fingerprint's odds of mistaking one id for another are in `fingerprint.ts`),
 * the line as a float64 (exact up to 2^53), the hash packed into 41 bytes and a byte for the note
 * and the user mark.
 */
export class PasswordIndex {
  readonly #ids: FingerprintTable;
  readonly #entries = new EntryBytes(entryBytes);
  readonly #noteCodes = new Map<string, number>();
  /** Notes by code; code 0 is "no note". */
  readonly #notes: string[] = [''];
  readonly #key = new Uint32Array(fingerprintWords);
  #duplicateIds = 0;
  #markedUsers = 0;

  /** `expectedSize`: ids to make room for at once, when about known. */
  constructor(options: FingerprintTableOptions = {}) {
    this.#ids = new FingerprintTable(options);
  }

  /**
   * The record at `entry.line` of the password export holds `sourceId`. Its hash is a bcrypt
   * string, or absent with a `note` saying why. A hash of any other shape (see
   * `isIndexableBcryptHash`) is not kept: the entry gets the note
   * `password_reset_required:unsupported_hash` instead, as the Auth0 parser does. A second record
   * for an id is not kept: the first stands, `duplicateIds` counts the others, and `add` returns
   * false.
   */
  add(sourceId: string, entry: IndexedPassword): boolean {
    const { line, passwordHash, passwordHashType, note } = entry;
    if (!(Number.isSafeInteger(line) && line >= 0)) {
      throw new RangeError(`A line is an integer from 0 to 2^53 - 1, not ${line}`);
    }
    const indexable =
      passwordHash !== undefined &&
      (passwordHashType === undefined || passwordHashType === 'bcrypt') &&
      packBcrypt(passwordHash, packedScratch);
    let noteKept = note;
    if (passwordHash !== undefined && !indexable) {
      noteKept = note === undefined ? unsupportedHashNote : `${note};${unsupportedHashNote}`;
    }
    const noteCode = noteKept === undefined ? 0 : this.#codeOf(noteKept);

    fingerprintOf(sourceId, this.#key);
    const sizeBefore = this.#ids.size;
    const index = this.#ids.findOrAdd(this.#key);
    if (this.#ids.size === sizeBefore) {
      this.#duplicateIds++;
      return false;
    }
    this.#ids.setValueAt(index, line);
    const bytes = this.#entries.chunkOf(index);
    const at = this.#entries.offsetOf(index);
    if (indexable) bytes.set(packedScratch, at);
    bytes[at + packedBytes] = noteCode;
    return true;
  }

  /** The password record of the user with this id, or `undefined` when it has none. */
  get(sourceId: string): IndexedPassword | undefined {
    const index = this.#indexOf(sourceId);
    if (index === -1) return undefined;
    const line = this.#ids.valueAt(index);
    const bytes = this.#entries.chunkOf(index);
    const at = this.#entries.offsetOf(index);
    const variant = variantAt(bytes, at);
    const noteCode = (bytes[at + packedBytes] ?? 0) & ~userMark;
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
    return index === -1 ? undefined : this.#ids.valueAt(index);
  }

  /**
   * Notes that the users export has this user; returns the line of the id's password record and
   * whether it holds a hash, or `undefined` when the id has no record (a user without one is not
   * remembered). One lookup answers all three. It costs no memory, where a `UserIdSet` costs 20
   * bytes an id. Marks live as long as this index: a split resumed in a new process must mark
   * again, which it does if the marking is part of the planning that every run repeats.
   */
  markUser(sourceId: string): { line: number; hasPasswordHash: boolean } | undefined {
    const index = this.#indexOf(sourceId);
    if (index === -1) return undefined;
    const bytes = this.#entries.chunkOf(index);
    const offset = this.#entries.offsetOf(index);
    const at = offset + packedBytes;
    const held = bytes[at] ?? 0;
    if ((held & userMark) === 0) {
      bytes[at] = held | userMark;
      this.#markedUsers++;
    }
    return { line: this.#ids.valueAt(index), hasPasswordHash: variantAt(bytes, offset) !== 0 };
  }

  /** Distinct ids marked by `markUser`: when it equals `size`, every record has its user. */
  get markedUsers(): number {
    return this.#markedUsers;
  }

  /** Whether `markUser` was called for this id (always false for an id without a record). */
  hasUser(sourceId: string): boolean {
    const index = this.#indexOf(sourceId);
    if (index === -1) return false;
    return (
      ((this.#entries.chunkOf(index)[this.#entries.offsetOf(index) + packedBytes] ?? 0) &
        userMark) !==
      0
    );
  }

  /** Ids held (each once). */
  get size(): number {
    return this.#ids.size;
  }

  /** Records whose id an earlier record already had. */
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

/**
 * The ids of the users export's users, so that the records of the password export without a
 * user there can be told apart. Filled by reading the users export's ids, independently of the
 * password index. About 20 bytes an id for a million ids: a 96-bit fingerprint, never the id.
 * `PasswordIndex.markUser` answers the same question for the ids the index holds (the only ones
 * the password export asks about) at no cost in memory.
 */
export class UserIdSet {
  readonly #ids: FingerprintTable;
  readonly #key = new Uint32Array(fingerprintWords);

  /** `expectedSize`: ids to make room for at once, when about known. */
  constructor(options: FingerprintTableOptions = {}) {
    this.#ids = new FingerprintTable(options);
  }

  /** Adds the id; returns false when it was already there. */
  add(sourceId: string): boolean {
    fingerprintOf(sourceId, this.#key);
    const sizeBefore = this.#ids.size;
    this.#ids.findOrAdd(this.#key);
    return this.#ids.size > sizeBefore;
  }

  has(sourceId: string): boolean {
    fingerprintOf(sourceId, this.#key);
    return this.#ids.has(this.#key);
  }

  /** Distinct ids held. */
  get size(): number {
    return this.#ids.size;
  }

  /** Bytes of typed arrays held. */
  bytesUsed(): number {
    return this.#ids.bytesUsed();
  }
}
