import { decompressedChunks } from './gzip.ts';

/**
 * The bytes every record reader reads: the export's, decompressed if it is gzip, without a
 * leading UTF-8 byte order mark. The only place the mark is dropped, whatever the layout: one
 * further on (a second line starting with U+FEFF) is data.
 */
export function exportBytes(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  return withoutByteOrderMark(decompressedChunks(body));
}

const byteOrderMark = Buffer.from([0xef, 0xbb, 0xbf]);

async function* withoutByteOrderMark(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // The mark may come split over several chunks: the first three bytes are gathered first.
  let head: Buffer = Buffer.alloc(0);
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    while (head.length < byteOrderMark.length) {
      const next = await iterator.next();
      if (next.done) break;
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    }
    const marked = head.subarray(0, byteOrderMark.length).equals(byteOrderMark);
    const rest = marked ? head.subarray(byteOrderMark.length) : head;
    if (rest.length > 0) yield rest;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.(undefined);
  }
}
