import { ZodError } from 'zod';
import type { FaultQueue } from './faults.ts';
import {
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorResponse,
  parseJsonObject,
} from './http.ts';
import type { EmulatorStats } from './stats.ts';

/** The prefix of the control plane, kept apart from anything WorkOS serves. */
export const controlPathPrefix = '/__emulator/';

export interface ControlContext {
  faults: FaultQueue;
  stats: () => EmulatorStats;
  reset: () => void;
}

/**
 * The control plane, so a standalone emulator can be driven from another process (a test runner,
 * a shell). It needs no API key and is never rate limited: it is not part of the WorkOS API, and
 * the emulator listens on loopback by default.
 */
export function routeControlRequest(
  context: ControlContext,
  request: EmulatorRequest,
): EmulatorResponse {
  const route = `${request.method} ${request.pathname}`;
  switch (route) {
    case 'POST /__emulator/faults':
      injectFault(context, request.rawBody);
      return { status: 201, body: { pending: context.faults.pending() } };
    case 'GET /__emulator/faults':
      return { status: 200, body: { pending: context.faults.pending() } };
    case 'DELETE /__emulator/faults':
      context.faults.clear();
      return { status: 200, body: { pending: [] } };
    case 'GET /__emulator/stats':
      return { status: 200, body: context.stats() };
    case 'POST /__emulator/reset':
      context.reset();
      return { status: 200, body: { reset: true } };
    default:
      return {
        status: 404,
        body: { message: `No emulator control route '${route}'.`, code: 'not_found' },
      };
  }
}

function injectFault(context: ControlContext, rawBody: string): void {
  try {
    context.faults.inject(parseJsonObject(rawBody));
  } catch (error) {
    if (error instanceof ZodError) {
      throw new EmulatorHttpError(400, {
        message: 'Invalid fault specification.',
        code: 'invalid_fault',
        issues: error.issues.map((issue) => ({
          path: issue.path.join('.'),
          message: issue.message,
        })),
      });
    }
    throw error;
  }
}
