import { fingerprintWords } from './fingerprint.ts';

/*
 * The splitter's indexes hold one entry per user of exports with millions of users, inside a
 * Lambda's memory. A Map keyed by strings costs well over 100 bytes an entry. This table costs 12
 * bytes of key per entry and a 4-byte slot per 0.35 to 0.7 entries (the load between doublings):
 * about 20 bytes an entry for a million entries, plus whatever the caller keeps beside each one.
 *
 * Entries are numbered 0, 1, 2... in the order they are added, and their keys (and optional
 * values) sit in that order in fixed-size chunks. The open-addressing part holds only entry
 * numbers, so growing it copies 4 bytes an entry, and the chunks never move: no growth ever holds
 * two copies of the keys at once, which would raise the peak the Lambda's memory is sized for.
 * The price is a second memory read to compare the key, made only when the slot's spare bits
 * already agree with it.
 */

const chunkBits = 14;
/** Entries per chunk of keys, values and `EntryBytes` columns. */
export const entriesPerChunk = 1 << chunkBits;
const chunkMask = entriesPerChunk - 1;

/** Linear probing stays short up to about this load; doubling then halves it. */
const maxLoad = 0.7;
const minSlots = 16;
/** Slots are 32 bits: an entry number plus one (0 is an empty slot), and at least 1 bit of key. */
const maxSlots = 2 ** 31;

export interface FingerprintTableOptions {
  /** Entries to make room for at once, when their number is known beforehand. */
  expectedSize?: number;
}

/**
 * A hash table keyed by fingerprints (`fingerprint.ts`): three 32-bit words read from
 * `key[offset]`. Each key gets an entry number, and optionally one number as its value.
 */
export class FingerprintTable {
  #slots: Uint32Array;
  #slotMask: number;
  #growAt: number;
  readonly #keyChunks: Uint32Array[] = [];
  /** Allocated chunk by chunk on the first `set`: a table used as a set never pays for them. */
  readonly #valueChunks: (Float64Array | undefined)[] = [];
  #size = 0;

  constructor(options: FingerprintTableOptions = {}) {
    let slots = minSlots;
    while (slots * maxLoad < (options.expectedSize ?? 0) && slots < maxSlots) slots *= 2;
    this.#slots = new Uint32Array(slots);
    this.#slotMask = slots - 1;
    this.#growAt = Math.floor(slots * maxLoad);
  }

  /** Keys held. */
  get size(): number {
    return this.#size;
  }

  /**
   * The entry number of the key, adding the key when it is absent. New entries are numbered
   * from 0 in the order they are added, so `size` grows exactly when the key was absent.
   */
  findOrAdd(key: Uint32Array, offset = 0): number {
    const k0 = key[offset] ?? 0;
    const k1 = key[offset + 1] ?? 0;
    const k2 = key[offset + 2] ?? 0;
    const found = this.#probe(k0, k1, k2);
    if (found >= 0) return found;
    const entry = this.#size;
    if (entry >= this.#growAt) {
      this.#grow();
      return this.findOrAdd(key, offset);
    }
    const chunkIndex = entry >>> chunkBits;
    const chunk = this.#keyChunks[chunkIndex] ?? this.#newKeyChunk(chunkIndex);
    const at = (entry & chunkMask) * fingerprintWords;
    chunk[at] = k0;
    chunk[at + 1] = k1;
    chunk[at + 2] = k2;
    this.#slots[-1 - found] = (k1 & ~this.#slotMask) | (entry + 1);
    this.#size = entry + 1;
    return entry;
  }

  /** The entry number of the key, or -1 when the table does not hold it. */
  find(key: Uint32Array, offset = 0): number {
    const found = this.#probe(key[offset] ?? 0, key[offset + 1] ?? 0, key[offset + 2] ?? 0);
    return found >= 0 ? found : -1;
  }

  has(key: Uint32Array, offset = 0): boolean {
    return this.find(key, offset) !== -1;
  }

  /** Holds `value` for the key, adding the key when absent; returns its entry number. */
  set(key: Uint32Array, value: number, offset = 0): number {
    const entry = this.findOrAdd(key, offset);
    this.setValueAt(entry, value);
    return entry;
  }

  /** The key's value (0 for a key added without one), or `undefined` when it is absent. */
  get(key: Uint32Array, offset = 0): number | undefined {
    const entry = this.find(key, offset);
    return entry === -1 ? undefined : this.valueAt(entry);
  }

  /** The value of an entry: any number, and so any integer up to 2^53 exactly. */
  valueAt(entry: number): number {
    return this.#valueChunks[entry >>> chunkBits]?.[entry & chunkMask] ?? 0;
  }

  setValueAt(entry: number, value: number): void {
    this.#assertEntry(entry);
    const chunkIndex = entry >>> chunkBits;
    let chunk = this.#valueChunks[chunkIndex];
    if (chunk === undefined) {
      chunk = new Float64Array(entriesPerChunk);
      this.#valueChunks[chunkIndex] = chunk;
    }
    chunk[entry & chunkMask] = value;
  }

  /** Copies an entry's key into `into[offset..offset + 2]`: to carry entries to another table. */
  copyKey(entry: number, into: Uint32Array, offset = 0): void {
    this.#assertEntry(entry);
    const chunk = this.#keyChunks[entry >>> chunkBits];
    const at = (entry & chunkMask) * fingerprintWords;
    into[offset] = chunk?.[at] ?? 0;
    into[offset + 1] = chunk?.[at + 1] ?? 0;
    into[offset + 2] = chunk?.[at + 2] ?? 0;
  }

  /** Bytes of typed arrays the table holds (the objects around them add a few hundred). */
  bytesUsed(): number {
    let bytes = this.#slots.byteLength;
    for (const chunk of this.#keyChunks) bytes += chunk.byteLength;
    for (const chunk of this.#valueChunks) bytes += chunk?.byteLength ?? 0;
    return bytes;
  }

  /**
   * The key's entry number, or -1 - the empty slot where it would go. A slot holds the entry
   * number plus one in its low bits (an entry number stays below the slot count) and the high
   * bits of the key's second word in the others: a slot whose bits disagree is passed over
   * without reading the key, a read that costs most of a probe once the table outgrows the
   * CPU's caches.
   */
  #probe(k0: number, k1: number, k2: number): number {
    const slots = this.#slots;
    const mask = this.#slotMask;
    const tagMask = ~mask;
    let slot = k0 & mask;
    for (;;) {
      const stored = slots[slot] ?? 0;
      if (stored === 0) return -1 - slot;
      if (((stored ^ k1) & tagMask) === 0) {
        const entry = (stored & mask) - 1;
        const chunk = this.#keyChunks[entry >>> chunkBits];
        const at = (entry & chunkMask) * fingerprintWords;
        if (
          chunk !== undefined &&
          chunk[at] === k0 &&
          chunk[at + 1] === k1 &&
          chunk[at + 2] === k2
        ) {
          return entry;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  #newKeyChunk(chunkIndex: number): Uint32Array {
    const chunk = new Uint32Array(entriesPerChunk * fingerprintWords);
    this.#keyChunks[chunkIndex] = chunk;
    return chunk;
  }

  #grow(): void {
    const slotCount = this.#slots.length * 2;
    if (slotCount > maxSlots) throw new RangeError('FingerprintTable cannot hold more entries');
    const slots = new Uint32Array(slotCount);
    const mask = slotCount - 1;
    for (let entry = 0; entry < this.#size; entry++) {
      const chunk = this.#keyChunks[entry >>> chunkBits];
      const at = (entry & chunkMask) * fingerprintWords;
      let slot = (chunk?.[at] ?? 0) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = ((chunk?.[at + 1] ?? 0) & ~mask) | (entry + 1);
    }
    this.#slots = slots;
    this.#slotMask = mask;
    this.#growAt = Math.floor(slotCount * maxLoad);
  }

  #assertEntry(entry: number): void {
    if (!(Number.isInteger(entry) && entry >= 0 && entry < this.#size)) {
      throw new RangeError(`No entry ${entry} in a table of ${this.#size}`);
    }
  }
}

/**
 * A fixed number of bytes per entry of a `FingerprintTable`, for what a caller keeps beside each
 * key, in chunks of the same `entriesPerChunk` entries (allocated when first touched).
 */
export class EntryBytes {
  readonly width: number;
  readonly #chunks: (Uint8Array | undefined)[] = [];

  constructor(width: number) {
    if (!(Number.isInteger(width) && width > 0)) throw new RangeError('width must be positive');
    this.width = width;
  }

  /** The chunk that holds the entry's bytes, from `offsetOf(entry)` on; allocated if need be. */
  chunkOf(entry: number): Uint8Array {
    const chunkIndex = entry >>> chunkBits;
    let chunk = this.#chunks[chunkIndex];
    if (chunk === undefined) {
      chunk = new Uint8Array(entriesPerChunk * this.width);
      this.#chunks[chunkIndex] = chunk;
    }
    return chunk;
  }

  offsetOf(entry: number): number {
    return (entry & chunkMask) * this.width;
  }

  bytesUsed(): number {
    let bytes = 0;
    for (const chunk of this.#chunks) bytes += chunk?.byteLength ?? 0;
    return bytes;
  }
}
