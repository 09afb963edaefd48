/**
 * Serves the built dashboard (`dist/dashboard/`) as `dashboard@internal`: `/` redirects to
 * `/dashboard/`, files under `/dashboard/` are served with their content type, hashed assets
 * are cached for a year, `index.html` is revalidated, and any other `/dashboard/…` path falls
 * back to `index.html` (the SPA routes with the hash, but a reload of a deep link still works).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Handler, RequestContext } from '../core/request-context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Content hash in a file name (`app-3b5c0b2a9f.js`): such files never change, so they cache forever. */
const HASHED = /-[0-9a-f]{8,}\.[a-z0-9]+(?:\.map)?$/;

/** The project root: the nearest folder above this module holding a package.json. */
export function projectRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

interface CachedFile {
  body: Buffer;
  etag: string;
  type: string;
  cacheControl: string;
}

/** Options of the dashboard handler. */
export interface DashboardOptions {
  /** Folder of the built files (default `<project root>/dist/dashboard`). */
  root?: string;
  /** Keep files in memory after the first read (default true; false re-reads, for `--watch` builds). */
  cache?: boolean;
}

function send(ctx: RequestContext, status: number, headers: Record<string, string | number>, body?: Buffer | string) {
  const { res, req } = ctx;
  const length = body === undefined ? 0 : Buffer.byteLength(body);
  res.writeHead(status, { ...headers, 'content-length': length, 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Builds the handler of `dashboard@internal`. */
export function createDashboardHandler(options: DashboardOptions = {}): Handler {
  const root = options.root ?? join(projectRoot(), 'dist', 'dashboard');
  const keep = options.cache ?? true;
  const cache = new Map<string, CachedFile>();

  async function load(relative: string): Promise<CachedFile | null> {
    const hit = cache.get(relative);
    if (hit) return hit;
    const full = normalize(join(root, relative));
    if (full !== root && !full.startsWith(root + sep)) return null;
    let body: Buffer;
    try {
      body = await readFile(full);
    } catch {
      return null;
    }
    const type = TYPES[extname(full).toLowerCase()] ?? 'application/octet-stream';
    const file: CachedFile = {
      body,
      type,
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
      cacheControl: HASHED.test(relative) ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (keep) cache.set(relative, file);
    return file;
  }

  async function serve(ctx: RequestContext): Promise<void> {
    const { req } = ctx;
    const path = ctx.path;
    if (path === '/' || path === '/dashboard') {
      send(ctx, 302, { location: '/dashboard/' });
      return;
    }
    if (!path.startsWith('/dashboard/')) {
      send(ctx, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(ctx, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, 'method not allowed\n');
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice('/dashboard/'.length));
    } catch {
      send(ctx, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'bad path\n');
      return;
    }
    if (relative.includes('\0') || relative.split('/').includes('..')) {
      send(ctx, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found\n');
      return;
    }
    let file = relative === '' ? await load('index.html') : await load(relative);
    // A path that looks like a file (has an extension) and is missing is a real 404; others are SPA routes.
    if (!file && extname(relative) === '') file = await load('index.html');
    if (!file) {
      const built = existsSync(join(root, 'index.html'));
      send(
        ctx,
        404,
        { 'content-type': 'text/plain; charset=utf-8' },
        built ? 'not found\n' : 'dashboard not built: run `node scripts/build-dashboard.mjs`\n',
      );
      return;
    }
    const headers: Record<string, string> = {
      'content-type': file.type,
      'cache-control': file.cacheControl,
      etag: file.etag,
      'referrer-policy': 'no-referrer',
    };
    // Colours are set with style attributes, hence 'unsafe-inline' for styles only; scripts are same-origin files.
    if (file.type.startsWith('text/html')) headers['content-security-policy'] = CSP;
    if (req.headers['if-none-match'] === file.etag) {
      send(ctx, 304, { etag: file.etag, 'cache-control': file.cacheControl });
      return;
    }
    send(ctx, 200, headers, file.body);
  }

  return (ctx) => {
    serve(ctx).catch((error: unknown) => {
      if (!ctx.res.headersSent) send(ctx, 500, { 'content-type': 'text/plain; charset=utf-8' }, `${String(error)}\n`);
      else ctx.res.destroy();
    });
  };
}
