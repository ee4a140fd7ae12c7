import type { EmulatorApiContext } from './api-context.ts';
import type { PageQuery } from './cursor-pages.ts';
import { EmulatorHttpError, type EmulatorRequest, type EmulatorResponse } from './http.ts';
import { type ValidationIssue, validationFailed } from './user-validation.ts';

export type RouteHandler = (
  context: EmulatorApiContext,
  request: EmulatorRequest,
  segments: string[],
) => Promise<EmulatorResponse>;

export interface Route {
  method: string;
  /** Path segments after the route table's prefix; `:param` matches any one segment. */
  pattern: string[];
  handle: RouteHandler;
}

/** The route serving this method and these path segments, if any. */
export function findRoute(routes: readonly Route[], method: string, segments: string[]) {
  return routes.find(
    (route) =>
      route.method === method &&
      route.pattern.length === segments.length &&
      route.pattern.every((part, index) => part.startsWith(':') || part === segments[index]),
  );
}

/** The 404 for a path the emulator does not serve. */
export function routeNotFound(pathname: string): EmulatorResponse {
  return {
    status: 404,
    body: { message: `The requested path '${pathname}' could not be found.`, code: 'not_found' },
  };
}

/** WorkOS's 404 for a missing entity; the SDK turns it into `NotFoundException` with this code. */
export function entityNotFound(kind: string, id: string): EmulatorHttpError {
  return new EmulatorHttpError(404, {
    message: `${kind} not found: '${id}'.`,
    code: 'entity_not_found',
    entity_id: id,
  });
}

/** The SDK percent-encodes path parameters (`auth0|x` arrives as `auth0%7Cx`). */
export function pathParameter(segments: string[], index: number): string {
  const raw = segments[index] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new EmulatorHttpError(400, {
      message: 'Malformed path parameter.',
      code: 'invalid_path',
    });
  }
}

/**
 * `limit` 1-100 (default 10), `order` asc/desc (default desc), `before`/`after` cursors, as every
 * WorkOS list endpoint takes them. Problems are added to `issues` for the caller's 422.
 */
export function parsePageQuery(query: URLSearchParams, issues: ValidationIssue[]): PageQuery {
  const limitText = query.get('limit');
  let limit = 10;
  if (limitText !== null) {
    limit = /^\d+$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1 || limit > 100) {
      issues.push({ code: 'limit_invalid', message: 'Limit must be an integer from 1 to 100.' });
    }
  }
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    issues.push({ code: 'order_invalid', message: "Order must be 'asc' or 'desc'." });
  }
  const page: PageQuery = { limit, order: order === 'asc' ? 'asc' : 'desc' };
  const before = query.get('before');
  if (before) page.before = before;
  const after = query.get('after');
  if (after) page.after = after;
  return page;
}

/** Throws the 422 listing `issues`, if there are any. */
export function throwIfIssues(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw validationFailed(issues);
}

/** WorkOS list bodies: `{ object: 'list', data, list_metadata }`. */
export function listBody<Item>(
  page: { data: Item[]; listMetadata: { before: string | null; after: string | null } },
  toBody: (item: Item) => unknown,
): EmulatorResponse {
  return {
    status: 200,
    body: { object: 'list', data: page.data.map(toBody), list_metadata: page.listMetadata },
  };
}
