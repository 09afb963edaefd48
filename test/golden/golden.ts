/**
 * Golden JSON files: `assertGolden(name, value)` compares with `test/golden/<name>.json`, found
 * from the repository root (walking up to package.json) so the TypeScript tests and the
 * compiled ones in dist/ read the same files. `UPDATE_GOLDEN=1` rewrites them instead.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the test files');
    dir = parent;
  }
  return dir;
}

/** Directory of the golden files. */
export const GOLDEN_DIR = join(repositoryRoot(), 'test', 'golden');

/** Asserts that `value` equals the golden file `<name>.json` (or rewrites it with UPDATE_GOLDEN=1). */
export function assertGolden(name: string, value: unknown): void {
  const file = join(GOLDEN_DIR, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
  assert.deepEqual(value, JSON.parse(readFileSync(file, 'utf8')), `response differs from ${file}`);
}

/** Replaces volatile substrings (ports, temp dirs, dates) in every string of a JSON value. */
export function normalize(value: unknown, replacements: Array<[RegExp | string, string]>): unknown {
  const text = JSON.stringify(value);
  let out = text;
  for (const [pattern, replacement] of replacements) {
    out = typeof pattern === 'string' ? out.split(pattern).join(replacement) : out.replace(pattern, replacement);
  }
  return JSON.parse(out);
}
