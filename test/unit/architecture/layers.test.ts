import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = normalize(join(dirname(fileURLToPath(import.meta.url)), '../../..'));

/**
 * The layers of the product, lowest first. A file imports from its own folder or from a lower
 * layer, never from a higher one or from a sibling of its own layer: so someone editing the
 * split can see everything it depends on below it, and nothing below it depends on the split.
 */
const layers: string[][] = [
  ['src/model', 'src/errors.ts', 'src/logger.ts', 'src/config.ts'],
  ['src/sources', 'src/workos', 'src/ledger', 'src/queue'],
  ['src/snapshot'],
  ['src/split', 'src/import'],
  ['src/local', 'src/operations'],
  ['src/cli'],
  ['lambdas'],
];

/** Imports across the product's layering that are part of the design. */
const allowed: { from: string; to: string; why: string }[] = [
  { from: 'src/cli', to: 'tools/workos-emulator/src', why: '`--emulator` and `migrate emulator`' },
  { from: 'src/operations', to: 'lib/app-environments.ts', why: 'stack names, as deployed' },
  { from: 'lib', to: 'src/config.ts', why: 'the Lambda environment schema types the CDK props' },
  { from: 'lib', to: 'src/errors.ts', why: 'settings errors' },
  { from: 'lib', to: 'src/ledger/ledger-table.ts', why: 'the ledger table key schema' },
  { from: 'lib', to: 'src/model/key-prefixes.ts', why: 'the bucket layout, written once' },
  { from: 'lib', to: 'src/model/job-manifest.ts', why: 'the manifest file name' },
  { from: 'bin', to: 'src/errors.ts', why: 'settings errors' },
];

interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(folder, name));
}

function relativeImportsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/\bfrom '(\.{1,2}\/[^']+)'/g)].map((match) => ({
    from: file,
    to: relative(root, join(root, dirname(file), match[1] as string)),
  }));
}

function within(path: string, unit: string): boolean {
  return path === unit || path.startsWith(`${unit}/`);
}

function unitOf(path: string): { unit: string; layer: number } | undefined {
  for (const [layer, units] of layers.entries()) {
    const unit = units.find((candidate) => within(path, candidate));
    if (unit !== undefined) return { unit, layer };
  }
  return undefined;
}

function isAllowed(edge: ImportEdge): boolean {
  return allowed.some((rule) => within(edge.from, rule.from) && within(edge.to, rule.to));
}

/** What breaks the layering: an import upwards, sideways, or out of the product. */
function violationsOf(edges: ImportEdge[]): string[] {
  const violations: string[] = [];
  for (const edge of edges) {
    if (isAllowed(edge)) continue;
    const from = unitOf(edge.from);
    const to = unitOf(edge.to);
    if (from === undefined) continue;
    if (to === undefined) {
      violations.push(`${edge.from} -> ${edge.to} (outside the product's layers)`);
      continue;
    }
    const sameUnit = from.unit === to.unit;
    const lower = to.layer < from.layer || (to.layer === 0 && from.layer === 0);
    if (!sameUnit && !lower) violations.push(`${edge.from} -> ${edge.to}`);
  }
  return violations;
}

describe('Layers of the product', () => {
  const productEdges = [...sourceFiles('src'), ...sourceFiles('lambdas')].flatMap(
    relativeImportsOf,
  );

  it('imports only downwards: model, then sources/workos/ledger/queue, snapshot, split/import, local/operations, cli, lambdas', () => {
    expect(productEdges.length).toBeGreaterThan(200);
    expect(violationsOf(productEdges)).toEqual([]);
  });

  it('keeps the WorkOS emulator a program of its own, importing nothing of the importer', () => {
    const edges = sourceFiles('tools/workos-emulator/src').flatMap(relativeImportsOf);
    expect(edges.length).toBeGreaterThan(20);
    expect(edges.filter((edge) => !within(edge.to, 'tools/workos-emulator'))).toEqual([]);
  });

  it('lets the infrastructure code take from the product only the schemas it deploys', () => {
    const edges = [...sourceFiles('lib'), ...sourceFiles('bin')].flatMap(relativeImportsOf);
    const intoProduct = edges.filter((edge) => unitOf(edge.to) !== undefined);
    expect(intoProduct.length).toBeGreaterThan(0);
    expect(intoProduct.filter((edge) => !isAllowed(edge))).toEqual([]);
  });

  it('keeps AWS event types at the handlers', () => {
    const awsLambdaUsers = sourceFiles('src').filter((file) =>
      /from 'aws-lambda'/.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(awsLambdaUsers).toEqual([]);
  });

  it('finds an upward or sideways import when there is one', () => {
    expect(
      violationsOf([
        { from: 'src/sources/auth0/passwords.ts', to: 'src/split/password-index.ts' },
        { from: 'src/split/plan-split.ts', to: 'src/import/upsert-user.ts' },
        { from: 'src/model/outcome.ts', to: 'src/model/import-message.ts' },
        { from: 'src/import/import-batch.ts', to: 'src/workos/user-directory.ts' },
      ]),
    ).toEqual([
      'src/sources/auth0/passwords.ts -> src/split/password-index.ts',
      'src/split/plan-split.ts -> src/import/upsert-user.ts',
    ]);
  });
});
