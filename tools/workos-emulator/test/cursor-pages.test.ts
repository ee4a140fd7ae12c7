import { describe, expect, it } from 'vitest';
import { insertSorted, type PageQuery, pageOf, removeSorted } from '../src/cursor-pages.ts';

/** Ids a..j ascending; the even-indexed ones (a, c, e, g, i) match the filter. */
const ids = 'abcdefghij'.split('');
const items = new Map(ids.map((id, index) => [id, { id, even: index % 2 === 0 }]));

function page(query: Partial<PageQuery>) {
  const result = pageOf(
    ids,
    { limit: 2, order: 'asc', ...query },
    (id) => items.get(id),
    (item) => item.even,
  );
  return { ids: result.data.map((item) => item.id).join(''), ...result.listMetadata };
}

describe('pageOf with a filter', () => {
  it.each([
    { query: {}, expected: { ids: 'ac', before: null, after: 'c' } },
    { query: { after: 'c' }, expected: { ids: 'eg', before: 'e', after: 'g' } },
    { query: { after: 'd' }, expected: { ids: 'eg', before: 'e', after: 'g' } },
    { query: { after: 'g' }, expected: { ids: 'i', before: 'i', after: null } },
    { query: { before: 'g' }, expected: { ids: 'ce', before: 'c', after: 'e' } },
    { query: { after: 'a', before: 'g' }, expected: { ids: 'ce', before: 'c', after: 'e' } },
    { query: { order: 'desc' as const }, expected: { ids: 'ig', before: null, after: 'g' } },
    {
      query: { order: 'desc' as const, after: 'g' },
      expected: { ids: 'ec', before: 'e', after: 'c' },
    },
    {
      query: { order: 'desc' as const, before: 'c' },
      expected: { ids: 'ge', before: 'g', after: 'e' },
    },
    { query: { after: 'j' }, expected: { ids: '', before: null, after: null } },
  ])('pages $query to $expected.ids', ({ query, expected }) => {
    expect(page(query)).toEqual(expected);
  });
});

describe('insertSorted and removeSorted', () => {
  it('keep a list ascending whatever the order ids arrive in', () => {
    const list: string[] = [];
    for (const id of ['b', 'd', 'a', 'c', 'e']) insertSorted(list, id);
    expect(list).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(removeSorted(list, 'c')).toBe(true);
    expect(removeSorted(list, 'c')).toBe(false);
    expect(list).toEqual(['a', 'b', 'd', 'e']);
  });
});
