/** What every WorkOS list endpoint takes: `limit` 1-100, `order`, and id cursors. */
export interface PageQuery {
  limit: number;
  order: 'asc' | 'desc';
  before?: string;
  after?: string;
}

export interface Page<Item> {
  data: Item[];
  listMetadata: { before: string | null; after: string | null };
}

/**
 * One page in WorkOS's cursor style over ids kept in ascending (creation) order. `after`
 * continues in the listing order, `before` goes back; both are ids and are compared as ids, so a
 * cursor whose item was deleted still works. Paging back with only `before` returns the `limit`
 * items nearest that cursor, i.e. the page the client came from. `list_metadata.after` is set
 * only when more matching items follow the page, `before` only when some precede it.
 *
 * `includes` filters without copying the id list: the walk starts at the cursor and stops once
 * the page is full, so a page costs about `limit` lookups however many items are stored.
 */
export function pageOf<Item extends { id: string }>(
  ascendingIds: readonly string[],
  query: PageQuery,
  lookup: (id: string) => Item | undefined,
  includes: (item: Item) => boolean = () => true,
): Page<Item> {
  const count = ascendingIds.length;
  const ascending = query.order === 'asc';
  // Positions count in listing order: 0 is the first item the listing shows.
  const itemAt = (position: number): Item | undefined => {
    const id = ascendingIds[ascending ? position : count - 1 - position];
    const item = id === undefined ? undefined : lookup(id);
    return item !== undefined && includes(item) ? item : undefined;
  };
  const firstPositionAfter = (cursor: string): number =>
    ascending ? upperBound(ascendingIds, cursor) : count - lowerBound(ascendingIds, cursor);
  const endOfPositionsBefore = (cursor: string): number =>
    ascending ? lowerBound(ascendingIds, cursor) : count - upperBound(ascendingIds, cursor);

  const low = query.after === undefined ? 0 : firstPositionAfter(query.after);
  const high = query.before === undefined ? count : endOfPositionsBefore(query.before);
  const pagingBack = query.before !== undefined && query.after === undefined;
  const picked: { position: number; item: Item }[] = [];
  const step = pagingBack ? -1 : 1;
  for (
    let position = pagingBack ? high - 1 : low;
    position >= low && position < high && picked.length < query.limit;
    position += step
  ) {
    const item = itemAt(position);
    if (item !== undefined) picked.push({ position, item });
  }
  if (pagingBack) picked.reverse();
  const first = picked[0];
  const last = picked.at(-1);
  if (first === undefined || last === undefined) {
    return { data: [], listMetadata: { before: null, after: null } };
  }
  const anyItemBetween = (from: number, to: number, direction: 1 | -1): boolean => {
    for (let position = from; position !== to; position += direction) {
      if (itemAt(position) !== undefined) return true;
    }
    return false;
  };
  return {
    data: picked.map(({ item }) => item),
    listMetadata: {
      before: anyItemBetween(first.position - 1, -1, -1) ? first.item.id : null,
      after: anyItemBetween(last.position + 1, count, 1) ? last.item.id : null,
    },
  };
}

/**
 * Adds an id keeping the list ascending. Ids are monotonic ULIDs, so this is almost always an
 * append; the binary search covers ids minted out of order.
 */
export function insertSorted(ids: string[], id: string): void {
  const last = ids.at(-1);
  if (last === undefined || last < id) ids.push(id);
  else ids.splice(lowerBound(ids, id), 0, id);
}

/** Removes an id from an ascending list; false when it was not there. */
export function removeSorted(ids: string[], id: string): boolean {
  const index = lowerBound(ids, id);
  if (ids[index] !== id) return false;
  ids.splice(index, 1);
  return true;
}

/** First index whose id is >= `id`. */
function lowerBound(ids: readonly string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ids[middle] ?? '') < id) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** First index whose id is > `id`. */
function upperBound(ids: readonly string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ids[middle] ?? '') <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}
