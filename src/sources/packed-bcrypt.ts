/**
 * bcrypt hashes packed into 41 bytes, for the join's password index: a million users' hashes in
 * 41 MB instead of 72 or more. Here because the Auth0 password parser accepts exactly the hashes
 * this packing holds (`isIndexableBcryptHash`).
 */

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
 *
 * Variant 0 means "no hash": zeroed bytes hold none.
 */
export const packedBcryptBytes = 41;
const packedBytes = packedBcryptBytes;
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

/** Where a hash is packed while it is checked, before it is known to be worth an entry. */
const packedScratch = new Uint8Array(packedBytes);

/**
 * Whether `hash` has the exact shape of a bcrypt hash as WorkOS takes it (what the Auth0 parser
 * accepts): only those are indexed by the join, and so imported.
 */
export function isIndexableBcryptHash(hash: string): boolean {
  return packBcrypt(hash, packedScratch);
}

/**
 * Packs `hash` into `into[0..40]` when it has the shape of bcrypt; returns false otherwise, with
 * `into` unspecified. One pass both checks and packs: the index packs each hash once.
 */
export function packBcrypt(hash: string, into: Uint8Array): boolean {
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
export function packedBcryptVariantAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) >>> 7) | ((((bytes[at + packedBytes - 1] ?? 0) >>> 6) & 1) << 1);
}

const unpacked: number[] = Array.from({ length: bcryptLength }, () => 0);

export function unpackBcrypt(bytes: Uint8Array, at: number, variant: number): string {
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
