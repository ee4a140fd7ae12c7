import type { EmulatorApiContext } from './api-context.ts';
import {
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorResponse,
  parseJsonObject,
} from './http.ts';
import { newEntityId, newOpaqueToken } from './ids.ts';
import {
  type EmulatedOrganization,
  type EmulatedOrganizationDomain,
  type ListOrganizationsQuery,
  toOrganizationResponseBody,
} from './organization-store.ts';
import {
  type DomainInput,
  parseNewOrganization,
  parseOrganizationChanges,
} from './organization-validation.ts';
import {
  entityNotFound,
  findRoute,
  listBody,
  parsePageQuery,
  pathParameter,
  type Route,
  routeNotFound,
  throwIfIssues,
} from './route-helpers.ts';
import { patchedMetadata, type ValidationIssue } from './user-validation.ts';

const routes: Route[] = [
  { method: 'POST', pattern: [], handle: createOrganization },
  { method: 'GET', pattern: [], handle: listOrganizations },
  {
    method: 'GET',
    pattern: ['external_id', ':externalId'],
    handle: getOrganizationByExternalId,
  },
  { method: 'GET', pattern: [':id'], handle: getOrganization },
  { method: 'PUT', pattern: [':id'], handle: updateOrganization },
];

/**
 * Dispatches one authorized, admitted request under `/organizations`. These are not AuthKit
 * (user-management) requests: WorkOS counts them only against its general limit.
 */
export async function routeOrganizationRequest(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const [empty, prefix, ...segments] = request.pathname.split('/');
  if (empty === '' && prefix === 'organizations') {
    const route = findRoute(routes, request.method, segments);
    if (route !== undefined) return route.handle(context, request, segments);
  }
  return routeNotFound(request.pathname);
}

export function isOrganizationPath(pathname: string): boolean {
  return pathname === '/organizations' || pathname.startsWith('/organizations/');
}

/**
 * The SDK documents `ConflictException` (409) for a create that clashes; external ids are unique
 * per environment (reference C.3), so that is the clash.
 */
function externalIdTaken(): EmulatorHttpError {
  return new EmulatorHttpError(409, {
    message: 'An organization with this external ID already exists.',
    code: 'external_id_already_used',
  });
}

function assertExternalIdFree(
  context: EmulatorApiContext,
  externalId: string | null | undefined,
  exceptOrganizationId?: string,
): void {
  if (externalId === undefined || externalId === null) return;
  const holder = context.organizations.findByExternalId(externalId);
  if (holder !== undefined && holder.id !== exceptOrganizationId) throw externalIdTaken();
}

/**
 * The organization's domains after a write: a domain it already had keeps its id and creation
 * time (and its state, unless the request changes it); new domains get new ids.
 */
function domainsFor(
  inputs: DomainInput[],
  now: string,
  previous: EmulatedOrganizationDomain[] = [],
): EmulatedOrganizationDomain[] {
  return inputs.map(({ domain, state }) => {
    const kept = previous.find((existing) => existing.domain === domain);
    if (kept !== undefined && kept.state === state) return kept;
    return {
      id: kept?.id ?? newEntityId('org_domain'),
      domain,
      state,
      verificationStrategy: state === 'verified' ? 'manual' : 'dns',
      verificationToken: state === 'pending' ? newOpaqueToken(16) : null,
      createdAt: kept?.createdAt ?? now,
      updatedAt: now,
    };
  });
}

/**
 * `POST /organizations`. With an `Idempotency-Key` header, the first successful answer is kept
 * and returned again (marked `Idempotent-Replayed: true`) for every later request with that key,
 * whatever its body, as the SDK's `createOrganization(opts, { idempotencyKey })` expects. A
 * refused create is not kept, so a retry after fixing the cause runs again.
 */
async function createOrganization(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const { idempotencyKey } = request;
  const replayed =
    idempotencyKey === undefined
      ? undefined
      : context.organizationCreatesByIdempotencyKey.get(idempotencyKey);
  if (replayed !== undefined) {
    context.counters.idempotentReplays += 1;
    return { ...replayed, headers: { ...replayed.headers, 'Idempotent-Replayed': 'true' } };
  }
  const input = parseNewOrganization(parseJsonObject(request.rawBody));
  assertExternalIdFree(context, input.externalId);
  const now = context.now().toISOString();
  const organization: EmulatedOrganization = {
    id: newEntityId('org'),
    name: input.name,
    domains: domainsFor(input.domains, now),
    externalId: input.externalId,
    metadata: input.metadata,
    stripeCustomerId: null,
    createdAt: now,
    updatedAt: now,
  };
  context.organizations.insert(organization);
  context.counters.organizationsCreated += 1;
  const answer: EmulatorResponse = { status: 201, body: toOrganizationResponseBody(organization) };
  if (idempotencyKey !== undefined) {
    context.organizationCreatesByIdempotencyKey.set(idempotencyKey, answer);
  }
  return answer;
}

/** `domains` arrives comma-joined (the SDK stringifies the array); repeating it works too. */
function parseListOrganizationsQuery(query: URLSearchParams): ListOrganizationsQuery {
  const issues: ValidationIssue[] = [];
  const parsed: ListOrganizationsQuery = parsePageQuery(query, issues);
  throwIfIssues(issues);
  const domains = query
    .getAll('domains')
    .flatMap((value) => value.split(','))
    .map((domain) => domain.trim().toLowerCase())
    .filter((domain) => domain !== '');
  if (domains.length > 0) parsed.domains = domains;
  return parsed;
}

async function listOrganizations(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const page = context.organizations.list(parseListOrganizationsQuery(request.query));
  return listBody(page, toOrganizationResponseBody);
}

async function getOrganization(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 0);
  const organization = context.organizations.get(id);
  if (organization === undefined) throw entityNotFound('Organization', id);
  return { status: 200, body: toOrganizationResponseBody(organization) };
}

async function getOrganizationByExternalId(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const externalId = pathParameter(segments, 1);
  const organization = context.organizations.findByExternalId(externalId);
  if (organization === undefined) throw entityNotFound('Organization', externalId);
  return { status: 200, body: toOrganizationResponseBody(organization) };
}

/** `PUT /organizations/:id`: fields left out stay; `domain_data` replaces the domains. */
async function updateOrganization(
  context: EmulatorApiContext,
  request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const id = pathParameter(segments, 0);
  const current = context.organizations.get(id);
  if (current === undefined) throw entityNotFound('Organization', id);
  const changes = parseOrganizationChanges(parseJsonObject(request.rawBody));
  assertExternalIdFree(context, changes.externalId, id);
  const metadata = patchedMetadata(current.metadata, changes.metadataPatch);
  const now = context.now().toISOString();
  const updated: EmulatedOrganization = {
    ...current,
    name: changes.name ?? current.name,
    domains:
      changes.domains === undefined
        ? current.domains
        : domainsFor(changes.domains, now, current.domains),
    externalId: changes.externalId === undefined ? current.externalId : changes.externalId,
    metadata,
    stripeCustomerId:
      changes.stripeCustomerId === undefined ? current.stripeCustomerId : changes.stripeCustomerId,
    updatedAt: now,
  };
  context.organizations.replace(updated);
  context.counters.organizationsUpdated += 1;
  return { status: 200, body: toOrganizationResponseBody(updated) };
}
