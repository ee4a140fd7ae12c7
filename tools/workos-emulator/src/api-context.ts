import type { EmulatorResponse } from './http.ts';
import type { MembershipStore } from './membership-store.ts';
import type { OrganizationStore } from './organization-store.ts';
import type { PasswordResetLog } from './password-reset-log.ts';
import type { KeyedRateLimiter } from './rate-limiter.ts';
import type { EmulatorCounters } from './stats.ts';
import type { UserStore } from './user-store.ts';

/** What the API routes share: one WorkOS environment's state and settings. */
export interface EmulatorApiContext {
  users: UserStore;
  organizations: OrganizationStore;
  memberships: MembershipStore;
  passwordResets: PasswordResetLog;
  /** Per-email limit on password reset sends; undefined: unlimited. */
  passwordResetLimiter: KeyedRateLimiter | undefined;
  /** First successful answer to `POST /organizations` per `Idempotency-Key`. */
  organizationCreatesByIdempotencyKey: Map<string, EmulatorResponse>;
  counters: EmulatorCounters;
  /** Answer duplicates the way WorkOS (and its emulator) did before: 409 `user_already_exists`. */
  legacyDuplicateErrors: boolean;
  /** Whether a membership may hold more than one role (WorkOS's "Multiple Roles" setting). */
  multipleRoles: boolean;
  /** When set, `client_secret` on authenticate must equal it, as WorkOS requires the API key. */
  apiKey: string | undefined;
  /** When set, `client_id` on authenticate must equal it. */
  clientId: string | undefined;
  /** The `iss` claim of access tokens: the emulator's own URL. */
  issuer: string;
  /** Where password reset links point; the token is appended as `?token=`. */
  passwordResetUrl: string;
  now: () => Date;
}
