import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import { defaultReplicaId } from '../shared/env.js';
import { sendJson } from '../shared/json.js';
import { gracefulCloser, listen, type RunningServer } from '../shared/lifecycle.js';
import { DepartureBoardGenerator } from './departures.js';
import { newSessionId, SessionCounter, sessionCookie, sessionIdFromCookie } from './sessions.js';

/** Options for `startDynamicApiServer`; every field has a default. */
export interface DynamicApiOptions {
  /** Port to bind; 0 picks a free one. Default 3000. */
  port?: number;
  /** Address to bind. Default 0.0.0.0. */
  host?: string;
  /** Name shown in `X-Served-By` and `servedBy.replica`. Default host name + pid. */
  replicaId?: string;
  /** Station shown on the board. */
  station?: string;
  /** Per-request debug logs and errors go here. Default: silent. */
  logger?: Logger;
  /** How long `close()` waits for in-flight requests before cutting connections. Default 5000 ms. */
  graceMs?: number;
  /** Bound of the in-memory session map. Default 10,000. */
  maxSessions?: number;
}

/** A running dynamic API. */
export interface DynamicApiServer extends RunningServer {
  /** The replica id this server reports. */
  replicaId: string;
}

/** Identity of the replica that answered, included in every JSON body. */
export interface ServedBy {
  replica: string;
  hostname: string;
  pid: number;
  port: number;
}

const MAX_DELAY_MS = 10_000;
const MAX_LIMIT = 50;
const ALLOW = 'GET, HEAD';

type Route = 'departures' | 'session' | 'health';

// The proxy may or may not strip the `/api` prefix, so both spellings lead to the same route.
const ROUTES: Record<string, Route> = {
  '/': 'departures',
  '/departures': 'departures',
  '/session': 'session',
  '/healthz': 'health',
};

/** Starts the train-departures JSON API and resolves once it listens. */
export async function startDynamicApiServer(options: DynamicApiOptions = {}): Promise<DynamicApiServer> {
  const replicaId = options.replicaId ?? defaultReplicaId();
  const logger = options.logger ?? pino({ level: 'silent' });
  const boards = new DepartureBoardGenerator(options.station);
  const sessions = new SessionCounter(options.maxSessions);
  const servedBy: ServedBy = { replica: replicaId, hostname: hostname(), pid: process.pid, port: 0 };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('X-Served-By', replicaId);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = ROUTES[routePath(q < 0 ? url : url.slice(0, q))];
    if (!route) {
      sendJson(res, 404, { error: 'not_found', message: 'No such endpoint', servedBy });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', ALLOW);
      sendJson(res, 405, { error: 'method_not_allowed', message: `Use ${ALLOW}`, servedBy });
      return;
    }
    const query = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1));
    if (route === 'health') {
      sendJson(res, 200, { status: 'ok', servedBy });
      return;
    }
    if (route === 'session') {
      const { id, visits } = countVisit(req, res);
      reply(res, query, () => ({ session: id, visits, servedBy }));
      return;
    }
    const limit = clampInt(query?.get('limit'), 1, MAX_LIMIT, 15);
    // `?session=1` folds the session counter into the board, so a page can learn both from ONE request:
    // two requests per poll under strict round-robin over two replicas would pin each endpoint to one replica.
    const visit = query?.get('session') === '1' ? countVisit(req, res) : undefined;
    reply(res, query, () => ({
      ...boards.board(new Date(), limit),
      ...(visit ? { session: { id: visit.id, visits: visit.visits } } : {}),
      servedBy,
    }));
  };

  // Reads the session cookie (issuing one when absent) and counts one visit on this replica.
  function countVisit(req: IncomingMessage, res: ServerResponse): { id: string; visits: number } {
    let id = sessionIdFromCookie(req.headers.cookie);
    if (!id) {
      id = newSessionId();
      res.setHeader('Set-Cookie', sessionCookie(id));
    }
    return { id, visits: sessions.visit(id) };
  }

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      fail(res, err);
    }
    logger.debug({ method: req.method, url: req.url, status: res.statusCode }, 'request');
  });

  // A simulated latency (`?delay=ms`) lets tests and demos hold a request in flight; the body is built
  // when the delay ends so its timestamps are those of the answer.
  function reply(res: ServerResponse, query: URLSearchParams | undefined, body: () => unknown): void {
    const delay = clampInt(query?.get('delay'), 0, MAX_DELAY_MS, 0);
    if (delay === 0) {
      sendJson(res, 200, body());
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (!res.destroyed) sendJson(res, 200, body());
      } catch (err) {
        fail(res, err);
      }
    }, delay);
    res.once('close', () => clearTimeout(timer));
  }

  // Clients get a generic JSON error; the details go to the log only.
  function fail(res: ServerResponse, err: unknown): void {
    logger.error({ err }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 500, { error: 'internal_error', message: 'Internal server error', servedBy });
  }

  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const close = gracefulCloser(server, options.graceMs ?? 5000);
  const port = await listen(server, options.port ?? 3000, options.host ?? '0.0.0.0');
  servedBy.port = port;
  return { server, port, close, replicaId };
}

/** Maps a request path to a route key: strips one `/api` prefix and a trailing slash. */
function routePath(path: string): string {
  if (path === '/api' || path.startsWith('/api/')) path = path.slice(4) || '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

function clampInt(raw: string | null | undefined, min: number, max: number, fallback: number): number {
  if (raw === null || raw === undefined || raw === '') return fallback;
  const n = Number.parseInt(raw, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
