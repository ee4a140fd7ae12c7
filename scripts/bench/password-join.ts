import type { LineParser } from '../../src/sources/parsed-record.ts';
import {
  assertMatchesUserExport,
  syntheticAuth0PasswordLines,
} from './synthetic-password-export.ts';

/**
 * The slot for the users/passwords join: how the Auth0 password-hash export meets the user
 * export. Leave it undefined and the bench reports the join as not yet implemented.
 *
 * Today's join (src/sources/auth0-passwords.ts) happens in WorkOS, not in the splitter: the
 * password export is uploaded as a file of its own, its records parse into users with a hash,
 * and both files converge on one WorkOS user through the upsert. The splitter then holds no
 * per-user join state; the cost is in WorkOS calls, which the end-to-end runs count. An
 * in-splitter join would implement `buildJoin`: the bench then times it and measures the heap it
 * keeps per user, and splits the user export with the parser it returns.
 */
export interface PasswordJoinStage {
  /** Shown in the report. */
  name: string;
  /** Password-export lines for the users of `syntheticAuth0ExportLines(users, { seed })`. */
  passwordLines(users: number, seed: string): Iterable<string>;
  /**
   * For an in-splitter join: reads the password export and returns the parser for the user
   * export that attaches each user's hash. What the join holds must stay reachable from it.
   */
  buildJoin?: (passwordExportPath: string) => Promise<LineParser>;
}

export const passwordJoinStage: PasswordJoinStage | undefined = {
  name: 'password export split as its own file; users converge in WorkOS (auth0-passwords.ts)',
  passwordLines(users, seed) {
    assertMatchesUserExport(seed);
    return syntheticAuth0PasswordLines(users, { seed });
  },
};
