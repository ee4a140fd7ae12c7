/**
 * A password reset WorkOS created (and, by default, emailed). The emulator sends no email; it
 * keeps each reset so a test can assert who would have received one.
 */
export interface EmulatedPasswordReset {
  id: string;
  userId: string;
  email: string;
  passwordResetToken: string;
  passwordResetUrl: string;
  expiresAt: string;
  createdAt: string;
}

/** The password_reset object as the WorkOS API sends it (the SDK's `PasswordResetResponse`). */
export function toPasswordResetResponseBody(reset: EmulatedPasswordReset) {
  return {
    object: 'password_reset' as const,
    id: reset.id,
    user_id: reset.userId,
    email: reset.email,
    password_reset_token: reset.passwordResetToken,
    password_reset_url: reset.passwordResetUrl,
    expires_at: reset.expiresAt,
    created_at: reset.createdAt,
  };
}

/** Every password reset created, oldest first. */
export class PasswordResetLog {
  #byId = new Map<string, EmulatedPasswordReset>();

  get size(): number {
    return this.#byId.size;
  }

  record(reset: EmulatedPasswordReset): void {
    this.#byId.set(reset.id, reset);
  }

  get(id: string): EmulatedPasswordReset | undefined {
    return this.#byId.get(id);
  }

  /** Maps keep insertion order, which is creation order. */
  all(): EmulatedPasswordReset[] {
    return [...this.#byId.values()];
  }

  clear(): void {
    this.#byId.clear();
  }
}
