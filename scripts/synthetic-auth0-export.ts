import { createHash } from 'node:crypto';

/**
 * Synthetic Auth0 bulk-export lines (NDJSON), the same for the same arguments. Only reserved
 * example domains and made-up names: no real person's data.
 *
 * Every `invalidEvery`-th record is made unimportable in a rotating way (no email, a line that is
 * not JSON, a malformed email, a blocked user, no user id), so samples exercise rejections.
 */
export function* syntheticAuth0ExportLines(
  count: number,
  { invalidEvery = 0, seed = 'sample' }: { invalidEvery?: number; seed?: string } = {},
): Generator<string> {
  const firstNames = [
    'Ada',
    'Grace',
    'Alan',
    'Edsger',
    'Barbara',
    'Donald',
    'Frances',
    'Ken',
    'Radia',
    'Tim',
  ];
  const lastNames = [
    'Lovelace',
    'Hopper',
    'Turing',
    'Dijkstra',
    'Liskov',
    'Knuth',
    'Allen',
    'Thompson',
    'Perlman',
    'Lee',
  ];
  const invalidKinds = [
    'missing_email',
    'invalid_json',
    'invalid_email',
    'blocked',
    'missing_user_id',
  ] as const;
  let invalidIndex = 0;
  for (let index = 1; index <= count; index += 1) {
    const objectId = createHash('sha256').update(`${seed}:${index}`).digest('hex').slice(0, 24);
    const social = index % 7 === 0;
    const user: Record<string, unknown> = {
      user_id: social
        ? `google-oauth2|${BigInt(`0x${objectId.slice(0, 15)}`)}`
        : `auth0|${objectId}`,
      // Distinct seeds give distinct people: two synthetic exports never share an email.
      email: `${seed === 'sample' ? '' : `${seed}.`}user${String(index).padStart(7, '0')}@example.com`,
      email_verified: index % 3 !== 0,
      given_name: firstNames[index % firstNames.length],
      family_name: lastNames[Math.floor(index / firstNames.length) % lastNames.length],
      created_at: new Date(Date.UTC(2020, 0, 1) + index * 60_000).toISOString(),
      identities: [
        {
          connection: social ? 'google-oauth2' : 'Username-Password-Authentication',
          provider: social ? 'google-oauth2' : 'auth0',
          isSocial: social,
        },
      ],
      logins_count: index % 40,
    };
    if (invalidEvery > 0 && index % invalidEvery === 0) {
      const kind = invalidKinds[invalidIndex % invalidKinds.length];
      invalidIndex += 1;
      if (kind === 'invalid_json') {
        yield `{"user_id":"auth0|${objectId}","email":`;
        continue;
      }
      if (kind === 'missing_email') delete user.email;
      if (kind === 'invalid_email') user.email = `user${index}.example.com`;
      if (kind === 'blocked') user.blocked = true;
      if (kind === 'missing_user_id') delete user.user_id;
    }
    yield JSON.stringify(user);
  }
}
