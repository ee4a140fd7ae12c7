/** What the emulator has seen since it started (or was last reset). Control routes are not counted. */
export interface EmulatorStats {
  /** Every API request that reached the emulator, authorized or not. */
  requests: number;
  /**
   * Authorized requests by kind, counted on arrival whatever their outcome. `reads` and `writes`
   * are the user-management ones WorkOS limits per environment; organization requests count
   * only in `organizationRequests`.
   */
  reads: number;
  writes: number;
  authentications: number;
  organizationRequests: number;
  /** Answered 401. */
  unauthorized: number;
  /** Every 429 answered, by the rate limiter or injected. */
  rateLimited: number;
  /** The 429s among `rateLimited` that were injected faults. */
  injectedRateLimits: number;
  /** 5xx answered because a fault was injected. */
  injectedServerErrors: number;
  /** Responses held back by an injected delay. */
  delayedResponses: number;
  usersCreated: number;
  usersUpdated: number;
  usersDeleted: number;
  signIns: number;
  failedSignIns: number;
  organizationsCreated: number;
  organizationsUpdated: number;
  /** `POST /organizations` answered from an earlier request with the same `Idempotency-Key`. */
  idempotentReplays: number;
  /** New memberships, not counting inactive ones re-activated by a create. */
  membershipsCreated: number;
  /** Inactive memberships made active again, by a create or by `reactivate`. */
  membershipsReactivated: number;
  membershipsDeactivated: number;
  membershipsUpdated: number;
  membershipsDeleted: number;
  /** Password resets created (each one an email WorkOS would send by default). */
  passwordResetsSent: number;
  /** Stored right now. */
  userCount: number;
  organizationCount: number;
  membershipCount: number;
}

export type EmulatorCounters = Omit<
  EmulatorStats,
  'userCount' | 'organizationCount' | 'membershipCount'
>;

export function createCounters(): EmulatorCounters {
  return {
    requests: 0,
    reads: 0,
    writes: 0,
    authentications: 0,
    organizationRequests: 0,
    unauthorized: 0,
    rateLimited: 0,
    injectedRateLimits: 0,
    injectedServerErrors: 0,
    delayedResponses: 0,
    usersCreated: 0,
    usersUpdated: 0,
    usersDeleted: 0,
    signIns: 0,
    failedSignIns: 0,
    organizationsCreated: 0,
    organizationsUpdated: 0,
    idempotentReplays: 0,
    membershipsCreated: 0,
    membershipsReactivated: 0,
    membershipsDeactivated: 0,
    membershipsUpdated: 0,
    membershipsDeleted: 0,
    passwordResetsSent: 0,
  };
}
