/**
 * The start of a record (a line, a CSV row) that continues in a later chunk: views of the
 * chunks, joined once the record ends, so a record spread over many small chunks costs one copy,
 * not one per chunk. Past `maxBytes` (plus one byte of slack: a CR before the LF does not count),
 * its bytes are dropped as they come and the record is known to be too long.
 */
export class CarriedBytes {
  readonly #maxBytes: number;
  #pieces: Buffer[] = [];
  #length = 0;
  #tooLong = false;
  #lastByte = -1;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Whether a record is under way: bytes held, or dropped for being too long. */
  get pending(): boolean {
    return this.#length > 0 || this.#tooLong;
  }

  /** Bytes held (0 once the record is known to be too long). */
  get length(): number {
    return this.#length;
  }

  get tooLong(): boolean {
    return this.#tooLong;
  }

  /** The last byte carried, held or dropped; -1 when none. */
  get lastByte(): number {
    return this.#lastByte;
  }

  add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#lastByte = bytes[bytes.length - 1] as number;
    if (this.#tooLong) return;
    this.#length += bytes.length;
    if (this.#length > this.#maxBytes + 1) {
      this.#pieces = [];
      this.#length = 0;
      this.#tooLong = true;
      return;
    }
    this.#pieces.push(bytes);
  }

  /** The record's bytes, the carried ones then `tail`; the carry is empty again after. */
  take(tail: Buffer): Buffer {
    const pieces = this.#pieces;
    const total = this.#length + tail.length;
    this.clear();
    return pieces.length === 0 ? tail : Buffer.concat([...pieces, tail], total);
  }

  clear(): void {
    this.#pieces = [];
    this.#length = 0;
    this.#tooLong = false;
    this.#lastByte = -1;
  }
}
