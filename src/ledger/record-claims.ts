/**
 * Who is working on which record right now, held in this process: the ledgers of one process
 * (in memory, and the SQLite file of local mode, whose claims must not outlive a killed run,
 * or its resume would find its records busy) claim through it.
 */
export class ProcessRecordClaims {
  readonly #claims = new Map<string, { token: string; leaseUntil: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Takes the record unless another delivery holds an unexpired claim on it. */
  claim(
    jobId: string,
    position: number,
    claim: { token: string; leaseUntil: number },
  ): 'claimed' | 'busy' {
    const key = keyOf(jobId, position);
    const held = this.#claims.get(key);
    if (held !== undefined && held.leaseUntil > this.#now()) return 'busy';
    this.#claims.set(key, { ...claim });
    return 'claimed';
  }

  /** Lets the record go, if the claim is still the one `token` took. */
  release(jobId: string, position: number, token: string): void {
    const key = keyOf(jobId, position);
    if (this.#claims.get(key)?.token === token) this.#claims.delete(key);
  }

  /** The record has its outcome: nobody holds it any more. */
  settle(jobId: string, position: number): void {
    this.#claims.delete(keyOf(jobId, position));
  }
}

function keyOf(jobId: string, position: number): string {
  return `${jobId}\n${position}`;
}
