import { z } from 'zod';

/**
 * One fault to inject. Shared by the programmatic handle and `POST /__emulator/faults`, so a test
 * driving a standalone emulator from another process has the same vocabulary.
 */
export const faultSpecSchema = z
  .strictObject({
    /** Answer this status instead of doing the work (the request has no effect). */
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(429)]).optional(),
    /** Hold the response this long; without `status` the request then takes effect as usual. */
    delayMs: z.number().int().min(0).max(120_000).optional(),
    /** How many matching requests the fault applies to. */
    count: z.number().int().min(1).default(1),
    /** `Retry-After` for an injected 429 (default 1). */
    retryAfterSeconds: z.number().int().min(0).max(3_600).optional(),
    match: z
      .strictObject({
        method: z
          .string()
          .min(1)
          .transform((method) => method.toUpperCase())
          .optional(),
        pathPrefix: z.string().startsWith('/').optional(),
      })
      .optional(),
  })
  .refine((spec) => spec.status !== undefined || spec.delayMs !== undefined, {
    message: 'A fault needs a status, a delayMs, or both',
  });

export type FaultSpec = z.input<typeof faultSpecSchema>;
export type InjectedFault = z.output<typeof faultSpecSchema>;

/** A fault still waiting for requests, with how many it has left. */
export interface PendingFault extends InjectedFault {
  remaining: number;
}

/** The handle tests use to break the emulator on purpose. */
export interface EmulatorFaults {
  /** Queues a fault; throws a ZodError for a malformed spec. */
  inject(spec: FaultSpec): void;
  clear(): void;
  pending(): PendingFault[];
}

/**
 * Faults apply in the order they were injected: a request takes the first pending fault that
 * matches it, and that fault's count goes down by one.
 */
export class FaultQueue implements EmulatorFaults {
  #pending: PendingFault[] = [];

  inject(spec: FaultSpec): void {
    const fault = faultSpecSchema.parse(spec);
    this.#pending.push({ ...fault, remaining: fault.count });
  }

  clear(): void {
    this.#pending = [];
  }

  pending(): PendingFault[] {
    return this.#pending.map((fault) => structuredClone(fault));
  }

  /** Consumes one use of the first fault matching this request, if any. */
  take(method: string, pathname: string): InjectedFault | undefined {
    const index = this.#pending.findIndex((fault) => faultMatches(fault, method, pathname));
    const fault = this.#pending[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#pending.splice(index, 1);
    const { remaining: _remaining, ...injected } = fault;
    return injected;
  }
}

function faultMatches(fault: InjectedFault, method: string, pathname: string): boolean {
  const { match } = fault;
  if (match?.method !== undefined && match.method !== method.toUpperCase()) return false;
  if (match?.pathPrefix !== undefined && !pathname.startsWith(match.pathPrefix)) return false;
  return true;
}
