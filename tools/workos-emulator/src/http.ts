import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Larger than any user-management body; stops a runaway client from filling memory. */
export const maxRequestBodyBytes = 1024 * 1024;

/** What a route answers; the server adds the headers every response carries. */
export interface EmulatorResponse {
  status: number;
  /** Serialized as JSON. Absent for 204. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request as the routes see it: already authorized, rate limited and fully read. */
export interface EmulatorRequest {
  method: string;
  /** Still percent-encoded, as sent: path parameters are decoded by the route that owns them. */
  pathname: string;
  query: URLSearchParams;
  rawBody: string;
  /** The `Idempotency-Key` header, which `POST /organizations` honours. */
  idempotencyKey: string | undefined;
}

/**
 * An answer that ends the request early with a WorkOS-shaped error body. Routes throw it so the
 * happy path reads straight down; the server turns it into the response.
 */
export class EmulatorHttpError extends Error {
  override name = 'EmulatorHttpError';
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }

  toResponse(): EmulatorResponse {
    return { status: this.status, body: this.body, headers: this.headers };
  }
}

/**
 * Reads the whole body. An oversized body is drained (so the keep-alive connection stays usable)
 * and then refused with 413.
 */
export async function readRequestBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= maxRequestBodyBytes) chunks.push(buffer);
  }
  if (size > maxRequestBodyBytes) {
    throw new EmulatorHttpError(413, {
      message: 'Request body too large.',
      code: 'payload_too_large',
    });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses a JSON object body; an empty body is an empty object. The parser's own message is not
 * echoed back because it quotes the body, which may hold a password hash.
 */
export function parseJsonObject(rawBody: string): Record<string, unknown> {
  if (rawBody.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new EmulatorHttpError(400, { message: 'Malformed JSON body.', code: 'invalid_json' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EmulatorHttpError(400, {
      message: 'Request body must be a JSON object.',
      code: 'invalid_json',
    });
  }
  return parsed as Record<string, unknown>;
}

/**
 * Writes a JSON response. `Content-Type` must say JSON: the SDK's `toJSON()` returns null for any
 * other content type, and the caller would get a user of `undefined`.
 */
export function sendResponse(response: ServerResponse, answer: EmulatorResponse): void {
  if (response.headersSent || response.destroyed) return;
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    response.setHeader(name, value);
  }
  if (answer.status === 204 || answer.body === undefined) {
    response.writeHead(answer.status).end();
    return;
  }
  const payload = JSON.stringify(answer.body);
  response
    .writeHead(answer.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(payload),
    })
    .end(payload);
}

/** Compares a presented API key or client secret in constant time. */
export function secretsMatch(given: string, expected: string): boolean {
  const givenBytes = Buffer.from(given);
  const expectedBytes = Buffer.from(expected);
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}
