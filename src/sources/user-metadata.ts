/**
 * WorkOS user metadata limits (AuthKit metadata docs): at most 10 pairs per user, keys of at most
 * 40 ASCII characters, values strings of at most 600 ASCII characters.
 */
export const workosMetadataLimits = {
  maxPairs: 10,
  maxKeyLength: 40,
  maxValueLength: 600,
} as const;

/** Pairs this tool always writes (`import_source`, `import_digest`); sources get the rest. */
export const importMetadataPairs = 2;

/** Whether every character is printable ASCII (0x20 to 0x7e); a loop, as a regex costs more. */
function isPrintableAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

export interface FittedMetadata {
  metadata: Record<string, string>;
  /** Candidate keys left out (too many, too long, not ASCII), for the operator's report. */
  dropped: string[];
}

/**
 * Keeps at most `room` candidate pairs that fit WorkOS's limits, in the order given (most
 * important first). Values that are not strings are written as JSON when that fits. What does not
 * fit is counted in `dropped`, never sent and never a failure.
 */
export function fitMetadata(candidates: Iterable<[string, unknown]>, room: number): FittedMetadata {
  const kept: [string, string][] = [];
  const dropped: string[] = [];
  for (const [key, raw] of candidates) {
    if (raw === undefined || raw === null) continue;
    const value = typeof raw === 'string' ? raw : jsonOrUndefined(raw);
    const fits =
      kept.length < room &&
      key.length > 0 &&
      key.length <= workosMetadataLimits.maxKeyLength &&
      isPrintableAscii(key) &&
      typeof value === 'string' &&
      value.length <= workosMetadataLimits.maxValueLength &&
      isPrintableAscii(value) &&
      !kept.some(([keptKey]) => keptKey === key);
    if (fits) kept.push([key, value]);
    else dropped.push(isPrintableAscii(key) ? key.slice(0, 40) : 'non_ascii_key');
  }
  // fromEntries defines each pair as a plain own property (a key named `__proto__` stays a key)
  // in one go; one grown by defineProperty is slower to build and to serialize.
  return { metadata: Object.fromEntries(kept), dropped };
}

/** JSON of a value, or undefined when it has none or is nested too deep to write. */
function jsonOrUndefined(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    // A hostile export can nest deeper than the stack: such a value is dropped, like any other
    // that does not fit.
    return undefined;
  }
}
