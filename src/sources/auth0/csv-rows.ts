/**
 * A row of Auth0's CSV export as the JSON export would hold it: Auth0 names CSV columns after the
 * fields' paths (`user_metadata.plan`, `identities[0].connection`), so dotted and indexed headers
 * become nested objects again, and `true`/`false` become booleans. The `'` Auth0 puts before every
 * string is stripped by the CSV reader.
 */
export function auth0CsvRowAsRecord(row: Record<string, unknown>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [header, raw] of Object.entries(row)) {
    if (raw === '' || raw === undefined) continue;
    const value = raw === 'true' ? true : raw === 'false' ? false : raw;
    setPath(
      record,
      header.split(/\.|\[(\d+)\]\.?/).filter((part) => part !== undefined && part !== ''),
      value,
    );
  }
  return record;
}

/** Keys that would reach an object's prototype are kept flat: a hostile header changes nothing. */
const unsafeKeys = new Set(['__proto__', 'prototype', 'constructor']);

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  if (path.length === 0 || path.some((part) => unsafeKeys.has(part))) return;
  let node: Record<string, unknown> = target;
  for (const [index, part] of path.entries()) {
    if (index === path.length - 1) {
      node[part] = value;
      return;
    }
    const next = node[part];
    const nextIsIndex = /^\d+$/.test(path[index + 1] ?? '');
    if (typeof next !== 'object' || next === null) node[part] = nextIsIndex ? [] : {};
    node = node[part] as Record<string, unknown>;
  }
}
