import { decompressedChunks, GzipStreamError } from './gzip.ts';

/** How the records of an export are laid out in its (decompressed) bytes. */
export type RecordLayout = 'ndjson' | 'json-array' | 'csv';

export const recordLayouts = ['ndjson', 'json-array', 'csv'] as const satisfies RecordLayout[];

/** Enough to see the first record of any layout, and then some (see `detectRecordLayout`). */
export const defaultHeadBytes = 64 * 1024;

/**
 * The first `maxBytes` bytes of the export, decompressed if it is gzip, as text for
 * `detectRecordLayout`; the source is released after. A multi-byte character cut at the end
 * decodes as U+FFFD, which detection ignores. A damaged gzip stream yields what inflated before
 * the damage: reading the records reports the damage properly.
 */
export async function readExportHead(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number = defaultHeadBytes,
): Promise<string> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive whole number; got ${maxBytes}`);
  }
  const chunks = decompressedChunks(body);
  const head: Buffer[] = [];
  let headBytes = 0;
  try {
    while (headBytes < maxBytes) {
      const next = await chunks.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.length;
    }
  } catch (error) {
    if (!(error instanceof GzipStreamError)) throw error;
  } finally {
    await chunks.return(undefined);
  }
  return Buffer.concat(head).toString('utf8', 0, Math.min(headBytes, maxBytes));
}

/**
 * The layout of an export from its first bytes (`readExportHead`), or `undefined` for a head
 * that is empty or an object that fits none:
 * - `[` → `json-array`;
 * - `{` whose first property holds an array (`{"users":[`, `{"Users":[`) → `json-array`;
 * - `{` closed on its first line → `ndjson` (an NDJSON record is one line by definition);
 * - `{` running over several lines with a property holding an array (a pretty-printed
 *   `{"next": "…", "members": [`) → `json-array`;
 * - `{` not closed within the head, on one line: `json-array` if the head ends inside an array
 *   that is one of its properties (a minified `{"next":"…","members":[` longer than the head),
 *   else `ndjson` (a record longer than the head);
 * - anything else → `csv`.
 *
 * A one-line object closed within the head whose array is not its first property (`{"next":
 * "x","members":[…]}` minified and small) reads as NDJSON: it looks exactly like one NDJSON
 * record holding a list (an Auth0 user and its `identities`). Give the layout explicitly there.
 */
export function detectRecordLayout(head: string): RecordLayout | undefined {
  // `\s` covers a byte order mark (U+FEFF) too.
  const start = head.search(/\S/);
  if (start === -1) return undefined;
  const first = head[start];
  if (first === '[') return 'json-array';
  if (first !== '{') return 'csv';
  const object = firstObjectShape(head, start);
  if (object.firstPropertyIsArray) return 'json-array';
  if (object.closed && !object.multiline) return 'ndjson';
  if (object.multiline) return object.holdsArray ? 'json-array' : undefined;
  return object.endsInArray ? 'json-array' : 'ndjson';
}

interface ObjectShape {
  /** The object's first property holds an array. */
  firstPropertyIsArray: boolean;
  /** One of its properties seen in the head holds an array. */
  holdsArray: boolean;
  /** The head ends inside such an array. */
  endsInArray: boolean;
  /** It ends within the head. */
  closed: boolean;
  /** A line break comes before its end (or the head's end): it is pretty-printed. */
  multiline: boolean;
}

/** What the head shows of the object starting at `start` (its `{`). */
function firstObjectShape(head: string, start: number): ObjectShape {
  const shape: ObjectShape = {
    firstPropertyIsArray: false,
    holdsArray: false,
    endsInArray: false,
    closed: false,
    multiline: false,
  };
  let depth = 0;
  let inString = false;
  let properties = 0;
  /** Just after a property's colon: its value comes next. */
  let awaitingValue = false;
  /** Inside a property's array. */
  let inArray = false;
  for (let index = start; index < head.length; index += 1) {
    const char = head[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '\n') shape.multiline = true;
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') continue;
    if (awaitingValue) {
      awaitingValue = false;
      if (char === '[') {
        shape.holdsArray = true;
        inArray = true;
        if (properties === 1) shape.firstPropertyIsArray = true;
      }
    }
    if (char === '"') {
      inString = true;
    } else if (char === '{' || char === '[') {
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 1) inArray = false;
      if (depth === 0) {
        shape.closed = true;
        return shape;
      }
    } else if (char === ':' && depth === 1) {
      properties += 1;
      awaitingValue = true;
    }
  }
  shape.endsInArray = inArray;
  return shape;
}
