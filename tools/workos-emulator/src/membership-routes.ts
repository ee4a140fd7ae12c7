import type { EmulatorApiContext } from './api-context.ts';
import {
  EmulatorHttpError,
  type EmulatorRequest,
  type EmulatorResponse,
  parseJsonObject,
} from './http.ts';
import { newEntityId } from './ids.ts';
import {
  type EmulatedMembership,
  type MembershipStatus,
  membershipStatuses,
  toMembershipResponseBody,
} from './membership-store.ts';
import {
  entityNotFound,
  listBody,
  parsePageQuery,
  pathParameter,
  type Route,
  throwIfIssues,
} from './route-helpers.ts';
import type { ValidationIssue } from './user-validation.ts';

/** The role a membership gets when the request names none (WorkOS's default environment role). */
export const defaultRoleSlug = 'member';

/** Routes under `/user_management/organization_memberships`: user-management reads and writes. */
export const membershipRoutes: Route[] = [
  { method: 'POST', pattern: ['organization_memberships'], handle: createMembership },
  { method: 'GET', pattern: ['organization_memberships'], handle: listMemberships },
  { method: 'GET', pattern: ['organization_memberships', ':id'], handle: getMembership },
  { method: 'PUT', pattern: ['organization_memberships', ':id'], handle: updateMembership },
  { method: 'DELETE', pattern: ['organization_memberships', ':id'], handle: deleteMembership },
  {
    method: 'PUT',
    pattern: ['organization_memberships', ':id', 'deactivate'],
    handle: deactivateMembership,
  },
  {
    method: 'PUT',
    pattern: ['organization_memberships', ':id', 'reactivate'],
    handle: reactivateMembership,
  },
];

function membershipBody(context: EmulatorApiContext, membership: EmulatedMembership) {
  const organization = context.organizations.get(membership.organizationId);
  return toMembershipResponseBody(membership, organization?.name ?? '');
}

function storedMembership(context: EmulatorApiContext, segments: string[]): EmulatedMembership {
  const id = pathParameter(segments, 1);
  const membership = context.memberships.get(id);
  if (membership === undefined) throw entityNotFound('Organization membership', id);
  return membership;
}

/**
 * WorkOS's tooling recognises an existing membership only by the message text ("already a
 * member"), so the message matters more than the code. 409 surfaces as `ConflictException`.
 */
function alreadyMember(): EmulatorHttpError {
  return new EmulatorHttpError(409, {
    message: 'The user is already a member of this organization.',
    code: 'organization_membership_already_exists',
  });
}

/** Pending memberships come from invitations; WorkOS refuses to (de)activate them. */
function pendingMembership(action: 'deactivate' | 'reactivate'): EmulatorHttpError {
  return new EmulatorHttpError(400, {
    message: `A pending organization membership cannot be ${action}d.`,
    code: `cannot_${action}_pending_organization_membership`,
    errors: [{ code: 'organization_membership_pending', message: 'The membership is pending.' }],
  });
}

function readRequiredId(
  body: Record<string, unknown>,
  field: 'user_id' | 'organization_id',
  issues: ValidationIssue[],
): string {
  const value = body[field];
  if (typeof value === 'string' && value !== '') return value;
  issues.push({
    code: `${field}_string_required`,
    message: `${field} must be a non-empty string.`,
  });
  return '';
}

/**
 * `role_slug` or `role_slugs` (mutually exclusive, reference A.3); undefined when neither is
 * given. More than one role needs WorkOS's Multiple Roles setting.
 */
function readRoleSlugs(
  body: Record<string, unknown>,
  multipleRoles: boolean,
  issues: ValidationIssue[],
): string[] | undefined {
  const { role_slug: roleSlug, role_slugs: roleSlugs } = body;
  const hasSlug = roleSlug !== undefined && roleSlug !== null;
  const hasSlugs = roleSlugs !== undefined && roleSlugs !== null;
  if (hasSlug && hasSlugs) {
    issues.push({
      code: 'role_slug_and_role_slugs_mutually_exclusive',
      message: 'Provide either role_slug or role_slugs, not both.',
    });
    return undefined;
  }
  if (hasSlug) {
    if (typeof roleSlug === 'string' && roleSlug !== '') return [roleSlug];
    issues.push({ code: 'role_slug_invalid', message: 'role_slug must be a non-empty string.' });
    return undefined;
  }
  if (!hasSlugs) return undefined;
  if (
    !Array.isArray(roleSlugs) ||
    roleSlugs.length === 0 ||
    !roleSlugs.every((slug) => typeof slug === 'string' && slug !== '') ||
    new Set(roleSlugs).size !== roleSlugs.length
  ) {
    issues.push({
      code: 'role_slugs_invalid',
      message: 'role_slugs must be a non-empty array of distinct non-empty strings.',
    });
    return undefined;
  }
  if (roleSlugs.length > 1 && !multipleRoles) {
    issues.push({
      code: 'multiple_roles_not_enabled',
      message: 'More than one role needs Multiple Roles enabled for the environment.',
    });
    return undefined;
  }
  return roleSlugs as string[];
}

/**
 * Creates an active membership, or re-activates an inactive one with the roles asked for (as
 * WorkOS documents). The organization must exist, then the user: each missing one is a 404
 * (`NotFoundException`, code `entity_not_found`), the status the SDK documents for this call.
 * An active or pending membership is a 409.
 */
async function createMembership(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const body = parseJsonObject(request.rawBody);
  const issues: ValidationIssue[] = [];
  const userId = readRequiredId(body, 'user_id', issues);
  const organizationId = readRequiredId(body, 'organization_id', issues);
  const roleSlugs = readRoleSlugs(body, context.multipleRoles, issues) ?? [defaultRoleSlug];
  throwIfIssues(issues);
  if (context.organizations.get(organizationId) === undefined) {
    throw entityNotFound('Organization', organizationId);
  }
  if (context.users.get(userId) === undefined) throw entityNotFound('User', userId);
  const existing = context.memberships.find(userId, organizationId);
  const now = context.now().toISOString();
  if (existing !== undefined) {
    if (existing.status !== 'inactive') throw alreadyMember();
    const reactivated: EmulatedMembership = {
      ...existing,
      status: 'active',
      roleSlugs,
      updatedAt: now,
    };
    context.memberships.replace(reactivated);
    context.counters.membershipsReactivated += 1;
    return { status: 200, body: membershipBody(context, reactivated) };
  }
  const membership: EmulatedMembership = {
    id: newEntityId('om'),
    userId,
    organizationId,
    status: 'active',
    roleSlugs,
    createdAt: now,
    updatedAt: now,
  };
  context.memberships.insert(membership);
  context.counters.membershipsCreated += 1;
  return { status: 201, body: membershipBody(context, membership) };
}

function isMembershipStatus(value: string): value is MembershipStatus {
  return (membershipStatuses as readonly string[]).includes(value);
}

/**
 * Needs `user_id` or `organization_id` (422 otherwise). `statuses` is comma-joined, as the SDK
 * sends it; without it only active memberships are listed. An unknown user or organization
 * simply has no memberships.
 */
async function listMemberships(
  context: EmulatorApiContext,
  request: EmulatorRequest,
): Promise<EmulatorResponse> {
  const issues: ValidationIssue[] = [];
  const page = parsePageQuery(request.query, issues);
  const userId = request.query.get('user_id') || undefined;
  const organizationId = request.query.get('organization_id') || undefined;
  if (userId === undefined && organizationId === undefined) {
    issues.push({
      code: 'user_id_or_organization_id_required',
      message: 'Provide user_id, organization_id, or both.',
    });
  }
  const statusesText = request.query.get('statuses');
  const statuses = statusesText
    ? statusesText.split(',').map((status) => status.trim())
    : ['active'];
  const validStatuses = statuses.filter(isMembershipStatus);
  if (validStatuses.length !== statuses.length) {
    issues.push({
      code: 'statuses_invalid',
      message: `statuses must be a comma-separated list of ${membershipStatuses.join(', ')}.`,
    });
  }
  throwIfIssues(issues);
  const memberships = context.memberships.list({
    ...page,
    ...(userId === undefined ? {} : { userId }),
    ...(organizationId === undefined ? {} : { organizationId }),
    statuses: validStatuses,
  });
  return listBody(memberships, (membership) => membershipBody(context, membership));
}

async function getMembership(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  return { status: 200, body: membershipBody(context, storedMembership(context, segments)) };
}

/** Changes the roles; a body without `role_slug`/`role_slugs` changes nothing. */
async function updateMembership(
  context: EmulatorApiContext,
  request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const membership = storedMembership(context, segments);
  const issues: ValidationIssue[] = [];
  const roleSlugs = readRoleSlugs(parseJsonObject(request.rawBody), context.multipleRoles, issues);
  throwIfIssues(issues);
  if (roleSlugs === undefined) return { status: 200, body: membershipBody(context, membership) };
  const updated: EmulatedMembership = {
    ...membership,
    roleSlugs,
    updatedAt: context.now().toISOString(),
  };
  context.memberships.replace(updated);
  context.counters.membershipsUpdated += 1;
  return { status: 200, body: membershipBody(context, updated) };
}

async function deleteMembership(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  const membership = storedMembership(context, segments);
  context.memberships.delete(membership.id);
  context.counters.membershipsDeleted += 1;
  return { status: 204 };
}

/** Deactivating an inactive membership (or reactivating an active one) is a no-op, as in WorkOS. */
function setStatus(
  context: EmulatorApiContext,
  segments: string[],
  target: 'active' | 'inactive',
): EmulatorResponse {
  const membership = storedMembership(context, segments);
  if (membership.status === 'pending') {
    throw pendingMembership(target === 'active' ? 'reactivate' : 'deactivate');
  }
  if (membership.status === target) {
    return { status: 200, body: membershipBody(context, membership) };
  }
  const updated: EmulatedMembership = {
    ...membership,
    status: target,
    updatedAt: context.now().toISOString(),
  };
  context.memberships.replace(updated);
  if (target === 'active') context.counters.membershipsReactivated += 1;
  else context.counters.membershipsDeactivated += 1;
  return { status: 200, body: membershipBody(context, updated) };
}

async function deactivateMembership(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  return setStatus(context, segments, 'inactive');
}

async function reactivateMembership(
  context: EmulatorApiContext,
  _request: EmulatorRequest,
  segments: string[],
): Promise<EmulatorResponse> {
  return setStatus(context, segments, 'active');
}
