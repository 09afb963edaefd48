/**
 * The layering of docs/architecture.md, checked on the sources: no module imports from a layer
 * above its own. A failure names the import to move (usually a type that belongs in src/core/).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Layer of each top-level folder or file of src/, lowest first (docs/architecture.md). */
const LAYERS: Record<string, number> = {
  core: 0,
  'errors.ts': 1,
  'logger.ts': 1,
  'version.ts': 1,
  config: 2,
  rules: 2,
  template: 2,
  balancer: 3,
  proxy: 4,
  tls: 4,
  middlewares: 5,
  provider: 5,
  tcp: 5,
  udp: 5,
  acme: 5,
  server: 6,
  metrics: 7,
  api: 8,
  dashboard: 8,
  cli: 9,
  'index.ts': 10,
};

/** The modules that assemble a process: above the API, below the commands that run them. */
const ASSEMBLY = [/^server\/create\.ts$/, /^server\/workers\//];

// Compiled to dist/src/layers.test.js: the sources are two levels up, in src/.
const srcRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      // The dashboard's browser app is a separate program with its own build.
      if (relative(srcRoot, path) !== join('dashboard', 'app')) sources(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function layerOf(file: string): number {
  const rel = relative(srcRoot, file).split('\\').join('/');
  if (ASSEMBLY.some((pattern) => pattern.test(rel))) return 8.5;
  const top = rel.split('/')[0] as string;
  const layer = LAYERS[top];
  if (layer === undefined) throw new Error(`src/${top} has no layer in docs/architecture.md (and LAYERS here)`);
  return layer;
}

describe('layers', () => {
  it('no module imports from a layer above its own', () => {
    const violations: string[] = [];
    for (const file of sources(srcRoot)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/from '(\.[^']+)'/g)) {
        const target = resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'));
        if (!target.startsWith(srcRoot)) continue;
        if (layerOf(target) > layerOf(file)) {
          violations.push(`${relative(srcRoot, file)} imports ${relative(srcRoot, target)}`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it('the neutral label translation imports no provider (providers import it)', () => {
    const labels = join(srcRoot, 'provider', 'labels');
    const violations: string[] = [];
    for (const file of sources(labels)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = resolve(dirname(file), match[1] as string);
        const rel = relative(join(srcRoot, 'provider'), target).split('\\').join('/');
        if (!rel.startsWith('..') && !rel.startsWith('labels/')) {
          violations.push(`${relative(srcRoot, file)} imports provider/${rel}`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });
});
