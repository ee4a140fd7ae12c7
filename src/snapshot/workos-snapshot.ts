import { hash } from 'node:crypto';
import { importMetadataKeys } from '../model/import-metadata.ts';
import type { DirectoryUser } from '../workos/user-directory.ts';

/** What a snapshot knows of one WorkOS user: enough to tell a re-run "nothing to write". */
export interface SnapshotUser {
  workosUserId: string;
  /** The user's `import_digest` metadata; absent on a user this tool did not write. */
  importDigest?: string;
  /** The user's `import_source` metadata. */
  importSource?: string;
  /** The user has signed in to WorkOS at least once (`lastSignInAt` is set). */
  signedIn: boolean;
  emailVerified: boolean;
  /**
   * WorkOS holds an external id for the user. One without is a user this tool did not create
   * (a sign-up of the live application): found by email, it is never overwritten by default.
   */
  hasExternalId: boolean;
}

/*
 * A snapshot holds every user of a WorkOS environment: a million users as JavaScript objects
 * would cost several hundred bytes each. Here a user is one fixed-width record of bytes and two
 * 16-byte index rows, about 80 bytes in all, and the whole snapshot is a handful of typed arrays
 * that are written out and read back as they are.
 *
 * Keys are 96-bit fingerprints: the first 12 bytes of SHA-256 over a tag and the text (the email
 * lower-cased). Unlike the splitter's process-keyed fingerprints these are meant to be stored,
 * with the snapshot, so they need no secret; SHA-256 is what makes a chosen collision (an email
 * built to land on another user's row) infeasible. Among n keys some pair collides by chance with
 * odds of about n^2/2^97: 6e-18 at 1M users.
 *
 * A record (`recordBytes`):
 *   byte 0:      flags (below)
 *   bytes 1-2:   the import source: an index into the snapshot's list of sources, plus 1 (0: none)
 *   bytes 3-19:  the WorkOS id: `user_` and a ULID packed 5 bits a character, else a heap reference
 *   bytes 20-48: the import digest: as the importer writes it (22 base64url characters, then
 *                optionally `.` and 16 more) packed 6 bits a character, else a heap reference
 * A heap reference is a 32-bit offset and a 32-bit length of UTF-8 in the heap.
 *
 * An index row is four 32-bit words: the key's fingerprint, then the record's number; the rows
 * are sorted by fingerprint, and looked up by binary search.
 */

const flagSignedIn = 1;
const flagEmailVerified = 2;
const flagIdPacked = 4;
const flagHasDigest = 8;
const flagDigestPacked = 16;
const flagDigestHasPassword = 32;
const flagHasExternalId = 64;

const sourceAt = 1;
const idAt = 3;
const idBytes = 17;
const digestAt = idAt + idBytes;
const recordDigestBytes = 29;
/** Bytes of one user's record. */
export const recordBytes = digestAt + recordDigestBytes;

const rowWords = 4;
const maxSources = 0xffff;

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const packedIdPattern = /^user_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const packedDigestPattern = /^[A-Za-z0-9_-]{22}(\.[A-Za-z0-9_-]{16})?$/;
const userIdPrefix = 'user_';
const recordDigestChars = 22;
const passwordDigestChars = 16;

const magic = 0x31534f57; // "WOS1", little-endian
const formatVersion = 2;
const headerWords = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type KeyKind = 'externalId' | 'email';
const keyTag: Record<KeyKind, string> = { externalId: 'x\u0000', email: 'e\u0000' };

/** Writes the 96-bit fingerprint of the key into `into[offset..offset + 2]`. */
function fingerprintInto(kind: KeyKind, text: string, into: Uint32Array, offset: number): void {
  const key = kind === 'email' ? text.toLowerCase() : text;
  const digest = hash('sha256', keyTag[kind] + key, 'buffer');
  into[offset] = digest.readUInt32LE(0);
  into[offset + 1] = digest.readUInt32LE(4);
  into[offset + 2] = digest.readUInt32LE(8);
}

const lookupKey = new Uint32Array(3);

/** The snapshot of a WorkOS environment's users, looked up by external id and by email. */
export class WorkOsSnapshot {
  readonly #records: Uint8Array;
  readonly #byExternalId: Uint32Array;
  readonly #byEmail: Uint32Array;
  readonly #heap: Uint8Array;
  readonly #sources: readonly string[];

  /** Made by `WorkOsSnapshotBuilder.build()` and `WorkOsSnapshot.fromBytes()`. */
  constructor(parts: SnapshotParts) {
    this.#records = parts.records;
    this.#byExternalId = parts.byExternalId;
    this.#byEmail = parts.byEmail;
    this.#heap = parts.heap;
    this.#sources = parts.sources;
  }

  /** Users held. */
  get size(): number {
    return this.#records.length / recordBytes;
  }

  findByExternalId(externalId: string): SnapshotUser | undefined {
    return this.#find(this.#byExternalId, 'externalId', externalId);
  }

  /** The entry (0 to `size` - 1) of the user with this external id, or -1: see `userAt`. */
  entryOfExternalId(externalId: string): number {
    fingerprintInto('externalId', externalId, lookupKey, 0);
    return findRow(this.#byExternalId, lookupKey);
  }

  /** The entry of the user with this email (in any case), or -1. */
  entryOfEmail(email: string): number {
    fingerprintInto('email', email, lookupKey, 0);
    return findRow(this.#byEmail, lookupKey);
  }

  /** Case-insensitively, as WorkOS compares emails. */
  findByEmail(email: string): SnapshotUser | undefined {
    return this.#find(this.#byEmail, 'email', email);
  }

  /** Bytes of typed arrays the snapshot holds. */
  bytesUsed(): number {
    return (
      this.#records.byteLength +
      this.#byExternalId.byteLength +
      this.#byEmail.byteLength +
      this.#heap.byteLength
    );
  }

  /** The snapshot as one byte array, for S3 or a file: `WorkOsSnapshot.fromBytes` reads it. */
  toBytes(): Uint8Array {
    const sources = encoder.encode(JSON.stringify(this.#sources));
    const sections = [
      new Uint8Array(
        this.#byExternalId.buffer,
        this.#byExternalId.byteOffset,
        this.#byExternalId.byteLength,
      ),
      new Uint8Array(this.#byEmail.buffer, this.#byEmail.byteOffset, this.#byEmail.byteLength),
      this.#records,
      this.#heap,
      sources,
    ];
    const total = headerWords * 4 + sections.reduce((sum, part) => sum + padded(part.length), 0);
    const bytes = new Uint8Array(total);
    const header = new DataView(bytes.buffer);
    const fields = [
      magic,
      formatVersion,
      recordBytes,
      this.size,
      this.#byExternalId.length / rowWords,
      this.#byEmail.length / rowWords,
      this.#heap.length,
      sources.length,
    ];
    for (const [index, value] of fields.entries()) header.setUint32(index * 4, value, true);
    let at = headerWords * 4;
    for (const part of sections) {
      bytes.set(part, at);
      at += padded(part.length);
    }
    return bytes;
  }

  /** Reads what `toBytes` wrote. The arrays are views on `bytes` when it is 4-byte aligned. */
  static fromBytes(input: Uint8Array): WorkOsSnapshot {
    assertLittleEndian();
    const bytes = input.byteOffset % 4 === 0 ? input : input.slice();
    if (bytes.length < headerWords * 4) throw new SnapshotFormatError('too short');
    const header = new DataView(bytes.buffer, bytes.byteOffset, headerWords * 4);
    const field = (index: number) => header.getUint32(index * 4, true);
    if (field(0) !== magic) throw new SnapshotFormatError('not a WorkOS snapshot');
    if (field(1) !== formatVersion || field(2) !== recordBytes) {
      throw new SnapshotFormatError(`unsupported version ${field(1)}`);
    }
    const lengths = [
      field(4) * rowWords * 4,
      field(5) * rowWords * 4,
      field(3) * recordBytes,
      field(6),
      field(7),
    ];
    const expected = headerWords * 4 + lengths.reduce((sum, length) => sum + padded(length), 0);
    if (bytes.length !== expected) throw new SnapshotFormatError('truncated or padded');
    let at = bytes.byteOffset + headerWords * 4;
    const [externalIdBytes, emailBytes, recordsLength, heapLength, sourcesLength] = lengths as [
      number,
      number,
      number,
      number,
      number,
    ];
    const take = <T>(length: number, make: (offset: number) => T): T => {
      const part = make(at);
      at += padded(length);
      return part;
    };
    const byExternalId = take(
      externalIdBytes,
      (offset) => new Uint32Array(bytes.buffer, offset, externalIdBytes / 4),
    );
    const byEmail = take(
      emailBytes,
      (offset) => new Uint32Array(bytes.buffer, offset, emailBytes / 4),
    );
    const records = take(
      recordsLength,
      (offset) => new Uint8Array(bytes.buffer, offset, recordsLength),
    );
    const heap = take(heapLength, (offset) => new Uint8Array(bytes.buffer, offset, heapLength));
    const sources: unknown = JSON.parse(
      decoder.decode(
        take(sourcesLength, (offset) => new Uint8Array(bytes.buffer, offset, sourcesLength)),
      ),
    );
    if (!Array.isArray(sources) || !sources.every((source) => typeof source === 'string')) {
      throw new SnapshotFormatError('bad list of sources');
    }
    return new WorkOsSnapshot({ records, byExternalId, byEmail, heap, sources });
  }

  /** Entry `entry`'s user (entries are numbered in listing order, from 0 to `size` - 1). */
  userAt(entry: number): SnapshotUser {
    const records = this.#records;
    const at = entry * recordBytes;
    const flags = records[at] ?? 0;
    const sourceNumber = ((records[at + sourceAt] ?? 0) << 8) | (records[at + sourceAt + 1] ?? 0);
    const workosUserId =
      flags & flagIdPacked
        ? userIdPrefix + unpackChars(records, at + idAt, 26, crockford, 5)
        : this.#heapString(at + idAt);
    let importDigest: string | undefined;
    if (flags & flagHasDigest) {
      if (flags & flagDigestPacked) {
        importDigest = unpackChars(records, at + digestAt, recordDigestChars, base64url, 6);
        if (flags & flagDigestHasPassword) {
          importDigest += `.${unpackChars(records, at + digestAt + 17, passwordDigestChars, base64url, 6)}`;
        }
      } else {
        importDigest = this.#heapString(at + digestAt);
      }
    }
    const importSource = sourceNumber === 0 ? undefined : this.#sources[sourceNumber - 1];
    return {
      workosUserId,
      ...(importDigest === undefined ? {} : { importDigest }),
      ...(importSource === undefined ? {} : { importSource }),
      signedIn: (flags & flagSignedIn) !== 0,
      emailVerified: (flags & flagEmailVerified) !== 0,
      hasExternalId: (flags & flagHasExternalId) !== 0,
    };
  }

  /** The index rows, for `WorkOsSnapshotBuilder.addSnapshot`. */
  rowsOf(kind: KeyKind): Uint32Array {
    return kind === 'email' ? this.#byEmail : this.#byExternalId;
  }

  #find(rows: Uint32Array, kind: KeyKind, text: string): SnapshotUser | undefined {
    fingerprintInto(kind, text, lookupKey, 0);
    const entry = findRow(rows, lookupKey);
    return entry === -1 ? undefined : this.userAt(entry);
  }

  #heapString(at: number): string {
    const view = new DataView(this.#records.buffer, this.#records.byteOffset + at, 8);
    const offset = view.getUint32(0, true);
    const length = view.getUint32(4, true);
    return decoder.decode(this.#heap.subarray(offset, offset + length));
  }
}

export interface SnapshotParts {
  records: Uint8Array;
  byExternalId: Uint32Array;
  byEmail: Uint32Array;
  heap: Uint8Array;
  sources: readonly string[];
}

/** Bytes that are not a snapshot this version of the tool wrote. */
export class SnapshotFormatError extends Error {
  override name = 'SnapshotFormatError';

  constructor(detail: string) {
    super(`Not a readable WorkOS snapshot: ${detail}`);
  }
}

/** Collects users as a listing reads them, then sorts them into a `WorkOsSnapshot`. */
export class WorkOsSnapshotBuilder {
  #records: Uint8Array = new Uint8Array(recordBytes * 1024);
  #byExternalId: Uint32Array = new Uint32Array(rowWords * 1024);
  #byEmail: Uint32Array = new Uint32Array(rowWords * 1024);
  #heap: Uint8Array = new Uint8Array(1024);
  #size = 0;
  #externalIdRows = 0;
  #emailRows = 0;
  #heapLength = 0;
  readonly #sources: string[] = [];
  readonly #sourceNumbers = new Map<string, number>();

  /** Users added. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds a user. Should two users share a key (a user deleted and another created with the same
   * email while the listing ran), the one added last is the one found.
   */
  add(user: DirectoryUser): void {
    const metadata = user.metadata;
    const importSource = metadata[importMetadataKeys.source];
    const importDigest = metadata[importMetadataKeys.digest];
    const entry = this.#addRecord({
      workosUserId: user.id,
      ...(importDigest === undefined ? {} : { importDigest }),
      ...(importSource === undefined ? {} : { importSource }),
      signedIn: user.lastSignInAt !== null,
      emailVerified: user.emailVerified,
      hasExternalId: user.externalId !== null && user.externalId !== '',
    });
    this.#byEmail = this.#withRoomForRow(this.#byEmail, this.#emailRows);
    fingerprintInto('email', user.email, this.#byEmail, this.#emailRows * rowWords);
    this.#byEmail[this.#emailRows * rowWords + 3] = entry;
    this.#emailRows += 1;
    if (user.externalId !== null && user.externalId !== '') {
      this.#byExternalId = this.#withRoomForRow(this.#byExternalId, this.#externalIdRows);
      const at = this.#externalIdRows * rowWords;
      fingerprintInto('externalId', user.externalId, this.#byExternalId, at);
      this.#byExternalId[at + 3] = entry;
      this.#externalIdRows += 1;
    }
  }

  /** Adds every user of a snapshot (a partial one, to go on from a checkpoint). */
  addSnapshot(snapshot: WorkOsSnapshot): void {
    const base = this.#size;
    for (let entry = 0; entry < snapshot.size; entry++) this.#addRecord(snapshot.userAt(entry));
    for (const kind of ['email', 'externalId'] as const) {
      const rows = snapshot.rowsOf(kind);
      for (let at = 0; at < rows.length; at += rowWords) {
        const count = kind === 'email' ? this.#emailRows : this.#externalIdRows;
        let target = kind === 'email' ? this.#byEmail : this.#byExternalId;
        target = this.#withRoomForRow(target, count);
        const to = count * rowWords;
        target[to] = rows[at] ?? 0;
        target[to + 1] = rows[at + 1] ?? 0;
        target[to + 2] = rows[at + 2] ?? 0;
        target[to + 3] = (rows[at + 3] ?? 0) + base;
        if (kind === 'email') {
          this.#byEmail = target;
          this.#emailRows += 1;
        } else {
          this.#byExternalId = target;
          this.#externalIdRows += 1;
        }
      }
    }
  }

  /** The snapshot of the users added so far; the builder can go on adding afterwards. */
  build(): WorkOsSnapshot {
    return new WorkOsSnapshot({
      records: this.#records.slice(0, this.#size * recordBytes),
      byExternalId: sortedRows(this.#byExternalId.subarray(0, this.#externalIdRows * rowWords)),
      byEmail: sortedRows(this.#byEmail.subarray(0, this.#emailRows * rowWords)),
      heap: this.#heap.slice(0, this.#heapLength),
      sources: [...this.#sources],
    });
  }

  #addRecord(user: SnapshotUser): number {
    const entry = this.#size;
    if ((entry + 1) * recordBytes > this.#records.length) {
      this.#records = grown(this.#records, (entry + 1) * recordBytes);
    }
    const records = this.#records;
    const at = entry * recordBytes;
    let flags = 0;
    if (user.signedIn) flags |= flagSignedIn;
    if (user.emailVerified) flags |= flagEmailVerified;
    if (user.hasExternalId) flags |= flagHasExternalId;
    if (packedIdPattern.test(user.workosUserId)) {
      flags |= flagIdPacked;
      packChars(user.workosUserId.slice(userIdPrefix.length), crockford, 5, records, at + idAt);
    } else {
      this.#writeHeapReference(user.workosUserId, at + idAt);
    }
    const digest = user.importDigest;
    if (digest !== undefined) {
      flags |= flagHasDigest;
      if (packedDigestPattern.test(digest)) {
        flags |= flagDigestPacked;
        packChars(digest.slice(0, recordDigestChars), base64url, 6, records, at + digestAt);
        if (digest.length > recordDigestChars) {
          flags |= flagDigestHasPassword;
          packChars(digest.slice(recordDigestChars + 1), base64url, 6, records, at + digestAt + 17);
        }
      } else {
        this.#writeHeapReference(digest, at + digestAt);
      }
    }
    const sourceNumber =
      user.importSource === undefined ? 0 : this.#sourceNumberOf(user.importSource);
    records[at] = flags;
    records[at + sourceAt] = sourceNumber >>> 8;
    records[at + sourceAt + 1] = sourceNumber & 0xff;
    this.#size = entry + 1;
    return entry;
  }

  #sourceNumberOf(source: string): number {
    const known = this.#sourceNumbers.get(source);
    if (known !== undefined) return known;
    if (this.#sources.length >= maxSources) throw new RangeError('Too many import sources');
    this.#sources.push(source);
    const number = this.#sources.length;
    this.#sourceNumbers.set(source, number);
    return number;
  }

  #writeHeapReference(text: string, recordOffset: number): void {
    const encoded = encoder.encode(text);
    if (this.#heapLength + encoded.length > this.#heap.length) {
      this.#heap = grown(this.#heap, this.#heapLength + encoded.length);
    }
    this.#heap.set(encoded, this.#heapLength);
    const view = new DataView(this.#records.buffer, recordOffset, 8);
    view.setUint32(0, this.#heapLength, true);
    view.setUint32(4, encoded.length, true);
    this.#heapLength += encoded.length;
  }

  #withRoomForRow(rows: Uint32Array, count: number): Uint32Array {
    if ((count + 1) * rowWords <= rows.length) return rows;
    const larger = new Uint32Array(rows.length * 2);
    larger.set(rows);
    return larger;
  }
}

function grown(bytes: Uint8Array, atLeast: number): Uint8Array {
  let length = bytes.length * 2;
  while (length < atLeast) length *= 2;
  const larger = new Uint8Array(length);
  larger.set(bytes);
  return larger;
}

function padded(length: number): number {
  return Math.ceil(length / 4) * 4;
}

function compareRows(rows: Uint32Array, a: number, b: number): number {
  for (let word = 0; word < 4; word++) {
    const difference = (rows[a * rowWords + word] ?? 0) - (rows[b * rowWords + word] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * The rows sorted by fingerprint, each fingerprint once: of rows sharing one, the last added
 * (the highest record number, sorted last) is kept.
 */
function sortedRows(rows: Uint32Array): Uint32Array {
  const count = rows.length / rowWords;
  const order = new Uint32Array(count);
  for (let row = 0; row < count; row++) order[row] = row;
  order.sort((a, b) => compareRows(rows, a, b));
  const sorted = new Uint32Array(rows.length);
  let kept = 0;
  for (let index = 0; index < count; index++) {
    const row = order[index] ?? 0;
    const next = order[index + 1];
    const from = row * rowWords;
    if (
      next !== undefined &&
      rows[from] === rows[next * rowWords] &&
      rows[from + 1] === rows[next * rowWords + 1] &&
      rows[from + 2] === rows[next * rowWords + 2]
    ) {
      continue;
    }
    sorted.set(rows.subarray(from, from + rowWords), kept * rowWords);
    kept += 1;
  }
  return sorted.slice(0, kept * rowWords);
}

/** The record number of the row with this fingerprint, or -1. */
function findRow(rows: Uint32Array, key: Uint32Array): number {
  let low = 0;
  let high = rows.length / rowWords;
  const k0 = key[0] ?? 0;
  const k1 = key[1] ?? 0;
  const k2 = key[2] ?? 0;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const at = middle * rowWords;
    const r0 = rows[at] ?? 0;
    const r1 = rows[at + 1] ?? 0;
    const r2 = rows[at + 2] ?? 0;
    if (r0 === k0 && r1 === k1 && r2 === k2) return rows[at + 3] ?? -1;
    const less = r0 !== k0 ? r0 < k0 : r1 !== k1 ? r1 < k1 : r2 < k2;
    if (less) low = middle + 1;
    else high = middle;
  }
  return -1;
}

/** Writes characters of `alphabet`, `bits` each, most significant first, from `into[offset]`. */
function packChars(
  text: string,
  alphabet: string,
  bits: number,
  into: Uint8Array,
  offset: number,
): void {
  let accumulator = 0;
  let held = 0;
  let at = offset;
  for (const char of text) {
    accumulator = (accumulator << bits) | alphabet.indexOf(char);
    held += bits;
    while (held >= 8) {
      held -= 8;
      into[at++] = (accumulator >>> held) & 0xff;
    }
    accumulator &= (1 << held) - 1;
  }
  if (held > 0) into[at] = (accumulator << (8 - held)) & 0xff;
}

function unpackChars(
  from: Uint8Array,
  offset: number,
  count: number,
  alphabet: string,
  bits: number,
): string {
  let text = '';
  let accumulator = 0;
  let held = 0;
  let at = offset;
  const mask = (1 << bits) - 1;
  while (text.length < count) {
    if (held < bits) {
      accumulator = ((accumulator << 8) | (from[at++] ?? 0)) & 0xffff;
      held += 8;
    }
    held -= bits;
    text += alphabet[(accumulator >>> held) & mask];
  }
  return text;
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    throw new SnapshotFormatError('snapshots are read on little-endian machines only');
  }
}
