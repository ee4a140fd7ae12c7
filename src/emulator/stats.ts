/** What the emulator has seen since it started (or was last reset). Control routes are not counted. */
export interface EmulatorStats {
  /** Every API request that reached the emulator, authorized or not. */
  requests: number;
  /** Authorized requests by kind, counted on arrival whatever their outcome. */
  reads: number;
  writes: number;
  authentications: number;
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
  /** Users stored right now. */
  userCount: number;
}

export type EmulatorCounters = Omit<EmulatorStats, 'userCount'>;

export function createCounters(): EmulatorCounters {
  return {
    requests: 0,
    reads: 0,
    writes: 0,
    authentications: 0,
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
  };
}
