import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { syntheticAuth0ExportLines } from './synthetic-auth0-export.ts';

// Regenerates samples/auth0-users.ndjson.gz: 1,200 users, 1 in 40 unimportable (30 records).
const lines = [...syntheticAuth0ExportLines(1200, { invalidEvery: 40, seed: 'sample' })];
writeFileSync('samples/auth0-users.ndjson.gz', gzipSync(`${lines.join('\n')}\n`, { level: 9 }));
process.stdout.write(`wrote samples/auth0-users.ndjson.gz (${lines.length} records)\n`);
