import { createReadStream, type Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { type Logger, pino } from 'pino';
import { defaultReplicaId } from '../shared/env.js';
import { sendJson } from '../shared/json.js';
import { gracefulCloser, listen, type RunningServer } from '../shared/lifecycle.js';
import { contentTypeFor, isHtml } from './mime.js';
import { defaultPublicDir, safeRelativePath } from './paths.js';

/** Options for `startStaticSiteServer`; every field has a default. */
export interface StaticSiteOptions {
  /** Port to bind; 0 picks a free one. Default 3001. */
  port?: number;
  /** Address to bind. Default 0.0.0.0. */
  host?: string;
  /** Folder to serve. Default: `apps/static-site/public` of this checkout. */
  root?: string;
  /** Name sent in `X-Served-By`. Default host name + pid. */
  replicaId?: string;
  /** Per-request debug logs and errors go here. Default: silent. */
  logger?: Logger;
  /** How long `close()` waits for in-flight requests before cutting connections. Default 5000 ms. */
  graceMs?: number;
}

/** A running static site server. */
export interface StaticSiteServer extends RunningServer {
  /** The folder being served (resolved, symlinks followed). */
  root: string;
}

const ALLOW = 'GET, HEAD';
const ASSET_CACHE = 'public, max-age=86400';
// The page uses only its own files, so everything else is refused; `data:` covers nothing the page needs
// but keeps browser extensions' favicons from spamming the console.
const HTML_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Starts the static file server and resolves once it listens. */
export async function startStaticSiteServer(options: StaticSiteOptions = {}): Promise<StaticSiteServer> {
  const replicaId = options.replicaId ?? defaultReplicaId();
  const logger = options.logger ?? pino({ level: 'silent' });
  // Resolved once so the containment check below compares real paths with a real root.
  const root = await realpath(options.root ?? defaultPublicDir());
  const rootPrefix = root.endsWith(sep) ? root : root + sep;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Served-By', replicaId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', ALLOW);
      return sendText(res, 405, 'Method Not Allowed');
    }
    if (rawPath === '/healthz') return sendJson(res, 200, { status: 'ok', replica: replicaId });

    const safe = safeRelativePath(rawPath);
    if (!safe.ok) return safe.status === 400 ? sendText(res, 400, 'Bad Request') : notFound(res);

    let file = join(root, ...safe.segments);
    let info = await statOrNull(file);
    if (info?.isDirectory()) {
      if (!rawPath.endsWith('/')) {
        // Rebuilt from the checked segments, never from the raw target, so `//host` cannot become an open redirect.
        const dir = safe.relative ? `/${safe.relative}/` : '/';
        res.setHeader('Location', dir + (q < 0 ? '' : url.slice(q)));
        return sendText(res, 301, 'Moved Permanently');
      }
      file = join(file, 'index.html');
      info = await statOrNull(file);
    }
    if (!info?.isFile()) return notFound(res);
    // A symlink inside the root could still point outside it.
    const real = await realpath(file);
    if (!real.startsWith(rootPrefix)) return notFound(res);

    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    res.setHeader('Content-Type', contentTypeFor(file));
    res.setHeader('Cache-Control', isHtml(file) ? 'no-cache' : ASSET_CACHE);
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', info.mtime.toUTCString());
    if (isHtml(file)) {
      res.setHeader('Content-Security-Policy', HTML_CSP);
      res.setHeader('Referrer-Policy', 'no-referrer');
    }
    if (isNotModified(req, etag, info)) {
      res.removeHeader('Content-Type');
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Length', info.size);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    pipeline(createReadStream(real), res, (err) => {
      if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn({ err, file: real }, 'stream failed');
    });
  }

  async function notFound(res: ServerResponse): Promise<void> {
    const page = await readFile(join(root, '404.html')).catch(() => undefined);
    if (!page) return sendText(res, 404, 'Not Found');
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', HTML_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Length', page.length);
    res.end(page);
  }

  const server = createServer((req, res) => {
    handle(req, res).then(
      () => logger.debug({ method: req.method, url: req.url, status: res.statusCode }, 'request'),
      (err: unknown) => {
        // Clients see a bare 500; the details go to the log only.
        logger.error({ err, url: req.url }, 'request failed');
        if (res.headersSent) res.destroy();
        else sendText(res, 500, 'Internal Server Error');
      },
    );
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const close = gracefulCloser(server, options.graceMs ?? 5000);
  const port = await listen(server, options.port ?? 3001, options.host ?? '0.0.0.0');
  return { server, port, close, root };
}

/** RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since; ETags compare weakly for GET/HEAD. */
function isNotModified(req: IncomingMessage, etag: string, info: Stats): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    const opaque = etag.slice(2);
    return inm
      .split(',')
      .map((t) => t.trim())
      .some((t) => t === '*' || t === etag || t === opaque || t.replace(/^W\//, '') === opaque);
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  // HTTP dates have one-second resolution, so compare whole seconds.
  return !Number.isNaN(since) && Math.floor(info.mtimeMs / 1000) * 1000 <= since;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-cache');
  res.end(text);
}
