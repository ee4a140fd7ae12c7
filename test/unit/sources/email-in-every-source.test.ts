import { describe, expect, it } from 'vitest';
import {
  createAuth0RecordMapper,
  createAuth0RecordPlanner,
} from '../../../src/sources/auth0/users.ts';
import { createClerkUserMapper } from '../../../src/sources/clerk-users.ts';
import { createCognitoUserMapper } from '../../../src/sources/cognito-users.ts';
import { createFirebaseUserMapper } from '../../../src/sources/firebase-users.ts';
import { createGenericUserMapper } from '../../../src/sources/generic-users.ts';
import { type OtherSourceName, otherSourceFormats } from '../../../src/sources/other-formats.ts';
import type { RecordMapper } from '../../../src/sources/parsed-record.ts';
import { createSupabaseUserMapper } from '../../../src/sources/supabase-users.ts';
import { emailCases } from '../../helpers/email-cases.ts';

/** One source: the smallest record of its export holding an email, and the id it maps to. */
interface SourceUnderTest {
  name: string;
  map: RecordMapper;
  record: (email: string, index: number) => Record<string, unknown>;
  sourceIdOf: (index: number) => string;
}

/** The smallest record of each other service's export, by the format name a job selects. */
const otherSourceRecords: Record<OtherSourceName, Omit<SourceUnderTest, 'name' | 'map'>> = {
  generic: {
    record: (email, index) => ({ id: `generic-${index}`, email }),
    sourceIdOf: (index) => `generic-${index}`,
  },
  clerk: {
    record: (email, index) => ({ id: `user_${index}`, primary_email_address: email }),
    sourceIdOf: (index) => `user_${index}`,
  },
  cognito: {
    record: (email, index) => ({
      Username: `cognito${index}`,
      Attributes: [
        { Name: 'sub', Value: `sub-${index}` },
        { Name: 'email', Value: email },
      ],
    }),
    sourceIdOf: (index) => `sub-${index}`,
  },
  firebase: {
    record: (email, index) => ({ localId: `firebase${index}`, email }),
    sourceIdOf: (index) => `firebase${index}`,
  },
  supabase: {
    record: (email, index) => ({ id: `supabase-${index}`, email }),
    sourceIdOf: (index) => `supabase-${index}`,
  },
};

const sources: SourceUnderTest[] = [
  {
    name: 'Auth0 user export',
    map: createAuth0RecordMapper(),
    record: (email, index) => ({ user_id: `auth0|user${index}`, email }),
    sourceIdOf: (index) => `auth0|user${index}`,
  },
  {
    name: 'Auth0 password export',
    map: createAuth0RecordMapper(),
    record: (email, index) => ({ _id: { $oid: `oid${index}` }, email }),
    sourceIdOf: (index) => `auth0|oid${index}`,
  },
  {
    name: 'Auth0 password export, email in identifiers',
    map: createAuth0RecordMapper(),
    record: (email, index) => ({
      _id: { $oid: `oid${index}` },
      identifiers: [{ type: 'email', value: email, verified: true }],
    }),
    sourceIdOf: (index) => `auth0|oid${index}`,
  },
  { name: 'generic layout', map: createGenericUserMapper(), ...otherSourceRecords.generic },
  { name: 'Clerk', map: createClerkUserMapper(), ...otherSourceRecords.clerk },
  {
    name: 'Clerk, email among the verified addresses',
    map: createClerkUserMapper(),
    record: (email, index) => ({ id: `user_${index}`, verified_email_addresses: email }),
    sourceIdOf: (index) => `user_${index}`,
  },
  { name: 'Cognito', map: createCognitoUserMapper(), ...otherSourceRecords.cognito },
  { name: 'Firebase', map: createFirebaseUserMapper(), ...otherSourceRecords.firebase },
  { name: 'Supabase', map: createSupabaseUserMapper(), ...otherSourceRecords.supabase },
  // The mappers a job's format creates, with its options, as the splitter and validate get them.
  ...Object.entries(otherSourceFormats).map(([format, { createMapper }]) => ({
    name: `${format}, as its job format creates it`,
    map: createMapper({}),
    ...otherSourceRecords[format as OtherSourceName],
  })),
];

const rows = emailCases.map((row, index) => ({ ...row, index }));

describe.each(sources)('Every email case through the $name mapper', (source) => {
  it.each(rows)('$name: $email → importable $importable', ({ email, importable, index }) => {
    const parsed = source.map(source.record(email, index));
    if (importable) {
      expect(parsed).toMatchObject({ kind: 'user', user: { email } });
    } else {
      expect(parsed).toEqual({
        kind: 'rejected',
        reason: 'invalid_email',
        sourceId: source.sourceIdOf(index),
      });
    }
  });
});

describe('The Auth0 planner agrees with its mapper on every email case', () => {
  const plan = createAuth0RecordPlanner();
  it.each(rows)('$name: $email → importable $importable', ({ email, importable, index }) => {
    for (const record of [
      { user_id: `auth0|user${index}`, email },
      { _id: { $oid: `oid${index}` }, email },
    ]) {
      expect(plan(record)?.kind).toBe(importable ? 'user' : 'rejected');
      if (!importable) expect(plan(record)).toMatchObject({ reason: 'invalid_email' });
    }
  });
});
