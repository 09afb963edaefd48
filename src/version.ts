/** The package version, read once from package.json (works from src/ under tsx and from dist/src/). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'switchyard' && pkg.version) return pkg.version;
    } catch {
      // Not here; look one level up.
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

/** The running Switchyard version. */
export const VERSION = findPackageVersion();

/** When this process started (the API reports it). */
export const STARTED_AT = new Date();
