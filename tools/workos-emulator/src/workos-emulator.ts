import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorApiContext } from './api-context.ts';
import { controlPathPrefix, routeControlRequest } from './control-routes.ts';
import { type EmulatorFaults, FaultQueue, type InjectedFault } from './faults.ts';
import {
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorResponse,
  readRequestBody,
  secretsMatch,
  sendResponse,
} from './http.ts';
import { newRequestId } from './ids.ts';
import { type EmulatedMembership, MembershipStore } from './membership-store.ts';
import { isOrganizationPath, routeOrganizationRequest } from './organization-routes.ts';
import { type EmulatedOrganization, OrganizationStore } from './organization-store.ts';
import { type EmulatedPasswordReset, PasswordResetLog } from './password-reset-log.ts';
import {
  KeyedRateLimiter,
  type RateLimit,
  rateLimitHeaders,
  SlidingWindowRateLimiter,
  workOsGeneralLimit,
  workOsPasswordResetLimit,
  workOsReadLimit,
  workOsWriteLimit,
} from './rate-limiter.ts';
import { routeNotFound } from './route-helpers.ts';
import { createCounters, type EmulatorStats } from './stats.ts';
import { routeUserManagementRequest } from './user-management-routes.ts';
import { type EmulatedUser, UserStore } from './user-store.ts';

export type { EmulatorFaults, FaultSpec, PendingFault } from './faults.ts';
export type { EmulatedMembership, MembershipStatus } from './membership-store.ts';
export type { EmulatedOrganization, EmulatedOrganizationDomain } from './organization-store.ts';
export type { EmulatedPasswordReset } from './password-reset-log.ts';
export type { RateLimit } from './rate-limiter.ts';
export { workOsGeneralLimit } from './rate-limiter.ts';
export type { EmulatorStats } from './stats.ts';
export type { EmulatedUser } from './user-store.ts';

export interface WorkOsEmulatorOptions {
  /** Default 127.0.0.1: the control plane needs no key, so it should not face a network. */
  host?: string;
  /** Default 0: any free port (read it back from `port` / `url`). */
  port?: number;
  /** When set, only `Authorization: Bearer <apiKey>` is accepted; otherwise any non-empty key. */
  apiKey?: string;
  /** Writes under /user_management (authenticate excluded). Default 500 per 10 s; false: unlimited. */
  writeLimit?: RateLimit | false;
  /** Reads under /user_management. Default 1,000 per 10 s; false: unlimited. */
  readLimit?: RateLimit | false;
  /**
   * Every API request, organizations included (WorkOS: 6,000 per 60 s per API key, exported as
   * `workOsGeneralLimit`). Default false (unlimited), so turning off `readLimit` and
   * `writeLimit` still means no limits, as callers have relied on.
   */
  generalLimit?: RateLimit | false;
  /** `POST /user_management/password_reset` per email. Default 3 per 60 s; false: unlimited. */
  passwordResetLimit?: RateLimit | false;
  /** Allow memberships with more than one role (WorkOS's Multiple Roles setting). Default false. */
  multipleRoles?: boolean;
  /** Where password reset links point. Default `<emulator url>/reset-password` (not served). */
  passwordResetUrl?: string;
  /** Answer duplicate users as older WorkOS versions did: 409 `user_already_exists`. */
  legacyDuplicateErrors?: boolean;
  /** When set, `authenticateWithPassword` must be called with this client id. */
  clientId?: string;
  /** Where unexpected handler failures are reported. Default: one JSON line on stderr. */
  logger?: EmulatorLogger;
}

/** What the emulator reports: a constant message and fields without request data. */
export interface EmulatorLogger {
  error(message: string, fields: Record<string, unknown>): void;
}

const stderrLogger: EmulatorLogger = {
  error(message, fields) {
    process.stderr.write(
      `${JSON.stringify({ level: 'ERROR', service: 'workos-emulator', message, ...fields })}\n`,
    );
  },
};

export interface RunningWorkOsEmulator {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  port: number;
  faults: EmulatorFaults;
  stats(): EmulatorStats;
  /** Copies of the stored users, oldest first, with their stored password hashes. */
  users(): EmulatedUser[];
  /** Copies of the stored organizations, oldest first. */
  organizations(): EmulatedOrganization[];
  /** Copies of the stored organization memberships, oldest first. */
  memberships(): EmulatedMembership[];
  /** Every password reset created (the emails WorkOS would send), oldest first. */
  passwordResets(): EmulatedPasswordReset[];
  /**
   * Turns limits on, changes them or turns them off (`false`) while the emulator runs, e.g. off
   * to seed many users quickly, then WorkOS's for the run measured. A limit left out is kept as
   * it is; one set starts with an empty window.
   */
  setRateLimits(limits: EmulatorRateLimits): void;
  /**
   * Forgets users, organizations, memberships, password resets, idempotency keys, faults,
   * rate-limit windows and counters.
   */
  reset(): void;
  /** Stops listening and drops open keep-alive connections and delayed responses. */
  close(): Promise<void>;
}

/** The limits `setRateLimits` can change: each a limit, or `false` for none. */
export type EmulatorRateLimits = {
  [Limit in 'writeLimit' | 'readLimit' | 'generalLimit']?: RateLimit | false;
};

/** Everything one running emulator holds, like one WorkOS environment. */
interface EmulatorState {
  apiKey: string | undefined;
  faults: FaultQueue;
  generalLimiter: SlidingWindowRateLimiter | undefined;
  readLimiter: SlidingWindowRateLimiter | undefined;
  writeLimiter: SlidingWindowRateLimiter | undefined;
  api: EmulatorApiContext;
  logger: EmulatorLogger;
  /** Aborted on close so delayed responses do not keep the process alive. */
  closing: AbortController;
}

type RequestKind = 'read' | 'write' | 'authenticate' | 'organization' | 'other';

/**
 * Starts a local server that speaks the WorkOS user-management and organizations API the way
 * `@workos-inc/node` v11 calls it, with WorkOS's rate limits and error bodies, plus fault
 * injection for tests.
 */
export async function startWorkOsEmulator(
  options: WorkOsEmulatorOptions = {},
): Promise<RunningWorkOsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw new RangeError('Emulator port must be an integer from 0 to 65535');
  }
  const apiKey = options.apiKey === '' ? undefined : options.apiKey;
  const passwordResetLimit = options.passwordResetLimit ?? workOsPasswordResetLimit;
  const state: EmulatorState = {
    apiKey,
    faults: new FaultQueue(),
    generalLimiter: createLimiter(options.generalLimit ?? false, workOsGeneralLimit),
    readLimiter: createLimiter(options.readLimit, workOsReadLimit),
    writeLimiter: createLimiter(options.writeLimit, workOsWriteLimit),
    api: {
      users: new UserStore(),
      organizations: new OrganizationStore(),
      memberships: new MembershipStore(),
      passwordResets: new PasswordResetLog(),
      passwordResetLimiter:
        passwordResetLimit === false ? undefined : new KeyedRateLimiter(passwordResetLimit),
      organizationCreatesByIdempotencyKey: new Map(),
      counters: createCounters(),
      legacyDuplicateErrors: options.legacyDuplicateErrors ?? false,
      multipleRoles: options.multipleRoles ?? false,
      apiKey,
      clientId: options.clientId,
      issuer: '',
      passwordResetUrl: '',
      now: () => new Date(),
    },
    logger: options.logger ?? stderrLogger,
    closing: new AbortController(),
  };

  const server = createServer(function onRequest(request, response) {
    void respond(state, request, response);
  });
  await listen(server, requestedPort, host);
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  state.api.issuer = url;
  state.api.passwordResetUrl = options.passwordResetUrl ?? `${url}/reset-password`;

  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= new Promise<void>((resolve, reject) => {
      state.closing.abort();
      server.close((error) => (error ? reject(error) : resolve()));
      // Clients (fetch/undici) keep connections alive; without this close() waits for them.
      server.closeAllConnections();
    });
    return closed;
  }

  return {
    url,
    port,
    faults: state.faults,
    stats: () => statsOf(state),
    users: () => structuredClone(state.api.users.all()),
    organizations: () => structuredClone(state.api.organizations.all()),
    memberships: () => structuredClone(state.api.memberships.all()),
    passwordResets: () => structuredClone(state.api.passwordResets.all()),
    reset: () => resetState(state),
    setRateLimits: (limits) => setRateLimits(state, limits),
    close,
  };
}

function createLimiter(
  configured: RateLimit | false | undefined,
  fallback: RateLimit,
): SlidingWindowRateLimiter | undefined {
  if (configured === false) return undefined;
  return new SlidingWindowRateLimiter(configured ?? fallback);
}

function setRateLimits(state: EmulatorState, limits: EmulatorRateLimits): void {
  const { writeLimit, readLimit, generalLimit } = limits;
  if (writeLimit !== undefined) state.writeLimiter = createLimiter(writeLimit, workOsWriteLimit);
  if (readLimit !== undefined) state.readLimiter = createLimiter(readLimit, workOsReadLimit);
  if (generalLimit !== undefined) {
    state.generalLimiter = createLimiter(generalLimit, workOsGeneralLimit);
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function respond(
  state: EmulatorState,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  response.setHeader('X-Request-ID', newRequestId());
  const method = request.method ?? 'GET';
  try {
    const requestUrl = new URL(request.url ?? '/', 'http://emulator.invalid');
    const emulatorRequest: EmulatorRequest = {
      method,
      pathname: requestUrl.pathname,
      query: requestUrl.searchParams,
      rawBody: await readRequestBody(request),
      idempotencyKey: singleHeader(request.headers['idempotency-key']),
    };
    const answer = emulatorRequest.pathname.startsWith(controlPathPrefix)
      ? routeControlRequest(
          { faults: state.faults, stats: () => statsOf(state), reset: () => resetState(state) },
          emulatorRequest,
        )
      : await answerApiRequest(state, request, emulatorRequest);
    sendResponse(response, answer);
  } catch (error) {
    if (error instanceof EmulatorHttpError) {
      sendResponse(response, error.toResponse());
      return;
    }
    if (state.closing.signal.aborted) {
      response.destroy();
      return;
    }
    // Only the error's name: messages and paths can carry what the request carried.
    state.logger.error('WorkOS emulator failed to answer a request', {
      errorName: error instanceof Error ? error.name : typeof error,
      method,
    });
    sendResponse(response, { status: 500, body: { message: 'Internal Server Error' } });
  }
}

/** A header sent once; an empty or repeated one counts as absent. */
function singleHeader(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function statsOf(state: EmulatorState): EmulatorStats {
  const { api } = state;
  return {
    ...api.counters,
    userCount: api.users.size,
    organizationCount: api.organizations.size,
    membershipCount: api.memberships.size,
  };
}

function resetState(state: EmulatorState): void {
  const { api } = state;
  api.users.clear();
  api.organizations.clear();
  api.memberships.clear();
  api.passwordResets.clear();
  api.passwordResetLimiter?.reset();
  api.organizationCreatesByIdempotencyKey.clear();
  state.faults.clear();
  state.generalLimiter?.reset();
  state.readLimiter?.reset();
  state.writeLimiter?.reset();
  Object.assign(api.counters, createCounters());
}

/**
 * The order WorkOS would apply: authorize, then (in the emulator) any injected fault, then the
 * rate limit, then the work. A refused request, whether 401, injected or 429, changes nothing.
 */
async function answerApiRequest(
  state: EmulatorState,
  request: IncomingMessage,
  emulatorRequest: EmulatorRequest,
): Promise<EmulatorResponse> {
  const { counters } = state.api;
  counters.requests += 1;
  if (!isAuthorized(request.headers.authorization, state.apiKey)) {
    counters.unauthorized += 1;
    return { status: 401, body: { message: 'Unauthorized' } };
  }
  const kind = classifyRequest(emulatorRequest.method, emulatorRequest.pathname);
  if (kind === 'read') counters.reads += 1;
  if (kind === 'write') counters.writes += 1;
  if (kind === 'authenticate') counters.authentications += 1;
  if (kind === 'organization') counters.organizationRequests += 1;

  const fault = state.faults.take(emulatorRequest.method, emulatorRequest.pathname);
  if (fault?.delayMs !== undefined && fault.delayMs > 0) {
    counters.delayedResponses += 1;
    await sleep(fault.delayMs, undefined, { signal: state.closing.signal });
  }
  if (fault?.status !== undefined) return injectedFaultResponse(state, fault.status, fault);

  // WorkOS's general limit counts every request; AuthKit's read and write limits come on top.
  let limitHeaders: Record<string, string> = {};
  const limiters = [
    state.generalLimiter,
    kind === 'read' ? state.readLimiter : kind === 'write' ? state.writeLimiter : undefined,
  ];
  for (const limiter of limiters) {
    if (limiter === undefined) continue;
    const decision = limiter.tryAcquire(performance.now());
    // The narrower limit's headers win: they say more about what the caller is about to hit.
    limitHeaders = rateLimitHeaders(decision);
    if (!decision.allowed) {
      counters.rateLimited += 1;
      return {
        status: 429,
        body: { message: 'Too Many Requests', code: 'rate_limit_exceeded' },
        headers: { ...limitHeaders, 'Retry-After': String(decision.retryAfterSeconds) },
      };
    }
  }

  let answer: EmulatorResponse;
  try {
    answer = await routeApiRequest(state.api, kind, emulatorRequest);
  } catch (error) {
    if (!(error instanceof EmulatorHttpError)) throw error;
    answer = error.toResponse();
  }
  return { ...answer, headers: { ...limitHeaders, ...answer.headers } };
}

function routeApiRequest(
  api: EmulatorApiContext,
  kind: RequestKind,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  if (kind === 'organization') return routeOrganizationRequest(api, request);
  if (kind === 'other') return Promise.resolve(routeNotFound(request.pathname));
  return routeUserManagementRequest(api, request);
}

function injectedFaultResponse(
  state: EmulatorState,
  status: NonNullable<InjectedFault['status']>,
  fault: InjectedFault,
): EmulatorResponse {
  const { counters } = state.api;
  if (status === 429) {
    counters.rateLimited += 1;
    counters.injectedRateLimits += 1;
    return {
      status,
      body: { message: 'Too Many Requests', code: 'rate_limit_exceeded' },
      headers: { 'Retry-After': String(fault.retryAfterSeconds ?? 1) },
    };
  }
  counters.injectedServerErrors += 1;
  return { status, body: { message: STATUS_CODES[status] ?? 'Internal Server Error' } };
}

/**
 * WorkOS counts reads and writes under /user_management separately; sign-ins count as neither,
 * and organization requests fall under the general limit only (reference C.1).
 */
function classifyRequest(method: string, pathname: string): RequestKind {
  if (isOrganizationPath(pathname)) return 'organization';
  if (pathname !== '/user_management' && !pathname.startsWith('/user_management/')) return 'other';
  if (pathname === '/user_management/authenticate') return 'authenticate';
  if (method === 'GET' || method === 'HEAD') return 'read';
  return 'write';
}

function isAuthorized(header: string | undefined, apiKey: string | undefined): boolean {
  const presented = /^Bearer\s+(\S.*)$/i.exec(header ?? '')?.[1]?.trim();
  if (presented === undefined || presented === '') return false;
  return apiKey === undefined || secretsMatch(presented, apiKey);
}
