import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Outcome of mapping a request path onto the served folder. */
export type SafePath = { ok: true; relative: string; segments: string[] } | { ok: false; status: 400 | 404 };

/**
 * Turns the path of a request target into path segments relative to the served root, refusing anything
 * that could leave it. Checked on the decoded segments, so `%2e%2e` and `..%2f` are caught as well as `..`;
 * dotfiles are reported as missing rather than forbidden so their existence is not revealed.
 */
export function safeRelativePath(rawPath: string): SafePath {
  if (!rawPath.startsWith('/')) return { ok: false, status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 };
  const segments: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '') continue;
    if (segment === '..' || segment === '.') return { ok: false, status: 400 };
    if (segment.startsWith('.')) return { ok: false, status: 404 };
    segments.push(segment);
  }
  return { ok: true, relative: segments.join('/'), segments };
}

/**
 * The site's `public/` folder. Walks up from this module until a folder holds `apps/static-site/public`,
 * so it is found both from the sources (`apps/static-site/`) and from the build (`dist/apps/static-site/`).
 */
export function defaultPublicDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'apps', 'static-site', 'public');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find apps/static-site/public above this module; set PUBLIC_DIR');
    dir = parent;
  }
}
