import type { SQSClient } from '@aws-sdk/client-sqs';
import { countDeadLetters, noFailureReason } from './dead-letter-scan.ts';

/**
 * How an operator reads a dead letter without a `FailureReason` attribute: SQS's redrive policy
 * moved it after `maxReceiveCount` receives. (`redrive --reason none` selects these.)
 */
export const maxReceivesExceededReason = 'max_receives_exceeded';

/** The reason code as `redrive --reason` selects it. */
export function redriveReasonFor(reason: string): string {
  return reason === maxReceivesExceededReason ? noFailureReason : reason;
}

export interface DeadLetterReasonSummary {
  reason: string;
  messages: number;
  /** Up to `examplesPerReason` distinct source ids among the first received, sorted. */
  exampleSourceIds: string[];
}

export interface DeadLetterSummary {
  total: number;
  /** Largest group first, then by reason. */
  reasons: DeadLetterReasonSummary[];
  /** The scan stopped early (aborted): the numbers cover part of the dead-letter queue. */
  partial: boolean;
}

export interface SummarizeDeadLettersOptions {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  /** @default 3 */
  examplesPerReason?: number;
  signal?: AbortSignal;
  receiveWaitSeconds?: number;
}

/**
 * The dead-letter queue by failure reason, with counts and a few example source ids per reason,
 * leaving every message where it was: each is received once with a visibility timeout and made
 * visible again at the end (see `countDeadLetters`). Source ids identify a record in the export
 * and are not personal data; nothing else is taken from a body.
 */
export async function summarizeDeadLetters({
  examplesPerReason = 3,
  ...options
}: SummarizeDeadLettersOptions): Promise<DeadLetterSummary> {
  const examples = new Map<string, string[]>();
  const counts = await countDeadLetters({
    ...options,
    onDeadLetter: ({ reason, body }) => {
      const label = reason === noFailureReason ? maxReceivesExceededReason : reason;
      const kept = examples.get(label) ?? [];
      examples.set(label, kept);
      if (kept.length >= examplesPerReason) return;
      const sourceId = sourceIdOf(body);
      if (sourceId !== undefined && !kept.includes(sourceId)) kept.push(sourceId);
    },
  });
  const reasons = Object.entries(counts.byReason)
    .map(([reason, messages]) => {
      const label = reason === noFailureReason ? maxReceivesExceededReason : reason;
      const exampleSourceIds = [...(examples.get(label) ?? [])].sort();
      return { reason: label, messages, exampleSourceIds };
    })
    .sort((a, b) => b.messages - a.messages || a.reason.localeCompare(b.reason));
  return { total: counts.total, reasons, partial: counts.partial };
}

/** Longer source ids are cut: an example is for finding the record, not for display. */
const maxSourceIdLength = 100;

/**
 * The `user.sourceId` of a user message body, made safe for a terminal (control characters,
 * which a hostile export could use to rewrite the screen, become `?`). Undefined when the body
 * is not a user message.
 */
export function sourceIdOf(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const user =
    typeof parsed === 'object' && parsed !== null ? (parsed as { user?: unknown }).user : undefined;
  const sourceId =
    typeof user === 'object' && user !== null
      ? (user as { sourceId?: unknown }).sourceId
      : undefined;
  if (typeof sourceId !== 'string' || sourceId.length === 0) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point.
  const printable = sourceId.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > maxSourceIdLength
    ? `${printable.slice(0, maxSourceIdLength - 1)}…`
    : printable;
}
