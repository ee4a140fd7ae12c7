import { PermanentImportError } from '../errors.ts';
import type { ParsedImportMessage } from '../model/import-message.ts';
import type { OrganizationDirectory } from '../workos/organization-directory.ts';
import type { ImportBatchDependencies } from './import-batch.ts';
import { importMembership } from './import-membership.ts';
import {
  pacedOrganizationDirectory,
  pacedUserDirectory,
  type WorkOsTiming,
} from './paced-directory.ts';
import { sendPasswordReset, shouldSendPasswordReset } from './password-reset.ts';
import { removeAbsentUser } from './remove-absent-user.ts';
import { removeBlockedUser } from './remove-blocked-user.ts';
import { upsertOrganization } from './upsert-organization.ts';
import { upsertUser } from './upsert-user.ts';

/** A record waits at most this long for a write slot before it is re-queued with a delay. */
export const defaultMaxPacingWaitMs = 20_000;

/** What one record's import step did in WorkOS. */
export interface StepResult {
  /**
   * `rejected`: a data condition found in WorkOS (the record's email held by another user, a
   * blocked user): settled with its reason, never dead-lettered, since no redrive can change it.
   */
  status: 'created' | 'updated' | 'unchanged' | 'rejected';
  workosId?: string;
  reason?: string;
}

/**
 * The WorkOS calls for one record. Every write waits for its own pacer slot (see
 * `inWriteSlot`), so a record that needs two writes costs two slots.
 */
export async function importStep(
  message: ParsedImportMessage,
  deps: ImportBatchDependencies,
  timing: WorkOsTiming,
): Promise<StepResult> {
  const slots = { pacer: deps.pacer, maxWaitMs: deps.maxPacingWaitMs ?? defaultMaxPacingWaitMs };
  const directory = pacedUserDirectory(deps.directory, slots, timing);
  switch (message.kind) {
    case 'user': {
      const result = message.passwordResetPending
        ? { ...message.passwordResetPending }
        : await upsertUser(directory, message.user, {
            ...(message.options?.overwriteExistingUsers ? { overwriteExistingUsers: true } : {}),
          });
      if (result.status === 'rejected') {
        return {
          status: result.status,
          workosId: result.workosUserId,
          ...reasonOf([result.reason]),
        };
      }
      const written = { status: result.status, workosUserId: result.workosUserId };
      const notes = [
        'reason' in result ? result.reason : undefined,
        message.user.note,
        shouldSendPasswordReset(message, result.status)
          ? await sendPasswordReset(message, written, deps, slots, timing)
          : undefined,
      ];
      return { status: result.status, workosId: result.workosUserId, ...reasonOf(notes) };
    }
    case 'blocked_user': {
      const result = await removeBlockedUser(directory, message.blockedUser);
      return {
        status: result.status,
        ...(result.workosUserId === undefined ? {} : { workosId: result.workosUserId }),
        reason: result.reason,
      };
    }
    case 'absent_user': {
      const result = await removeAbsentUser(directory, message.absentUser);
      return { status: result.status, workosId: result.workosUserId, reason: result.reason };
    }
    case 'organization': {
      const result = await upsertOrganization(
        pacedOrganizationDirectory(organizationsOf(deps), slots, timing),
        message.organization,
      );
      return {
        status: result.status,
        workosId: result.workosOrganizationId,
        ...reasonOf([result.reason, message.organization.note]),
      };
    }
    case 'membership': {
      const result = await importMembership(
        {
          users: directory,
          organizations: pacedOrganizationDirectory(organizationsOf(deps), slots, timing),
        },
        message.membership,
      );
      return {
        status: result.status,
        workosId: result.workosMembershipId,
        ...reasonOf([result.reason, message.membership.note]),
      };
    }
  }
}

function organizationsOf(deps: ImportBatchDependencies): OrganizationDirectory {
  if (deps.organizations === undefined) {
    throw new PermanentImportError(
      'organizations_not_configured',
      'This consumer was not given a WorkOS organization client',
    );
  }
  return deps.organizations;
}

function reasonOf(notes: (string | undefined)[]): { reason?: string } {
  const present = notes.filter((note): note is string => note !== undefined && note !== '');
  return present.length === 0 ? {} : { reason: present.join(';') };
}
