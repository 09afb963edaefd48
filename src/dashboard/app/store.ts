/// <reference lib="dom" />
/**
 * The dashboard's state: configuration from the JSON API (reloaded on every `config` event),
 * and live statistics from `/api/live` kept as short per-second histories. Views subscribe to
 * `config`, `live` and `connection` changes.
 */
import { getJson, getOptional, HttpError } from './api.js';
import type { Point } from './charts.js';
import { assignColours } from './colors.js';
import { toMillis } from './format.js';
import type {
  EntryPointInfo,
  LiveStats,
  MiddlewareInfo,
  Overview,
  RecentRequest,
  RouterInfo,
  ServiceInfo,
  StackInfo,
} from './types.js';

/** How much history the charts show. */
export const WINDOW_MS = 3 * 60_000;
const RECENT_MAX = 80;

/** Connection to the proxy. */
export type Connection = 'connecting' | 'live' | 'polling' | 'disconnected';

/** Per-service series for charts and sparklines. */
export interface ServiceHistory {
  rate: Point[];
  p50: Point[];
  p99: Point[];
  status: Map<string, Point[]>;
}

/** Everything the views read. */
export const state = {
  loaded: false,
  loadError: '' as string,
  overview: null as Overview | null,
  entryPoints: [] as EntryPointInfo[],
  routers: [] as RouterInfo[],
  services: [] as ServiceInfo[],
  middlewares: [] as MiddlewareInfo[],
  providerFailures: [] as unknown[],
  version: null as Record<string, unknown> | null,
  stack: null as StackInfo | null,
  connection: 'connecting' as Connection,
  live: null as LiveStats | null,
  lastLiveAt: 0,
  /** Requests per second over all entry points, and 5xx/4xx per second over all routers. */
  totals: { rate: 0, errorRate: 0, clientErrorRate: 0, inFlight: 0 },
  totalHistory: [] as Point[],
  servers: new Map<string, Point[]>(),
  /** The service each server was last seen in (so a removed replica stays on its chart for the window). */
  serverService: new Map<string, string>(),
  serviceHistory: new Map<string, ServiceHistory>(),
  recent: [] as RecentRequest[],
};

type Topic = 'config' | 'live' | 'connection';
const listeners = new Map<Topic, Set<() => void>>();

/** Subscribes to a topic; returns the unsubscribe function. */
export function on(topic: Topic, fn: () => void): () => void {
  let set = listeners.get(topic);
  if (!set) {
    set = new Set();
    listeners.set(topic, set);
  }
  set.add(fn);
  return () => set.delete(fn);
}

function emit(topic: Topic): void {
  for (const fn of listeners.get(topic) ?? []) {
    try {
      fn();
    } catch (error) {
      console.error(error);
    }
  }
}

function setConnection(next: Connection): void {
  if (state.connection === next) return;
  state.connection = next;
  emit('connection');
}

let loading: Promise<void> | null = null;
let loadAgain = false;

/** Reloads the configuration views of the API; concurrent calls coalesce into one more load. */
export function loadConfig(): Promise<void> {
  if (loading) {
    loadAgain = true;
    return loading;
  }
  loading = (async () => {
    do {
      loadAgain = false;
      await loadOnce();
    } while (loadAgain);
  })().finally(() => {
    loading = null;
  });
  return loading;
}

async function loadOnce(): Promise<void> {
  try {
    const [overview, entryPoints, routers, services, middlewares, failures, version] = await Promise.all([
      getOptional<Overview | null>('/api/overview', null),
      getOptional<EntryPointInfo[]>('/api/entrypoints', []),
      getJson<RouterInfo[]>('/api/http/routers'),
      getJson<ServiceInfo[]>('/api/http/services'),
      getOptional<MiddlewareInfo[]>('/api/http/middlewares', []),
      getOptional<unknown>('/api/providers/failures', []),
      getOptional<Record<string, unknown> | null>('/api/version', null),
    ]);
    state.overview = overview;
    state.entryPoints = entryPoints;
    state.routers = routers;
    state.services = services;
    state.middlewares = middlewares;
    state.providerFailures = collectFailures(failures, overview);
    state.version = version;
    state.loaded = true;
    state.loadError = '';
    assignColours(knownServers());
  } catch (error) {
    state.loadError = error instanceof Error ? error.message : String(error);
    if (!(error instanceof HttpError)) setConnection('disconnected');
  }
  state.stack = await loadStack();
  emit('config');
}

/** Re-reads `/api/stack` alone (the management page follows replicas starting and draining). */
export async function refreshStack(): Promise<void> {
  const next = await loadStack();
  if (JSON.stringify(next) === JSON.stringify(state.stack)) return;
  state.stack = next;
  emit('config');
}

async function loadStack(): Promise<StackInfo | null> {
  try {
    const res = await fetch('/api/stack', { headers: { accept: 'application/json' }, cache: 'no-store' });
    return res.status === 200 ? ((await res.json()) as StackInfo) : null;
  } catch {
    return null;
  }
}

/** Provider failures from `/api/providers/failures` (list or map) and from the overview. */
function collectFailures(failures: unknown, overview: Overview | null): unknown[] {
  const out: unknown[] = [];
  const add = (value: unknown) => {
    if (Array.isArray(value)) out.push(...value);
    else if (value && typeof value === 'object') {
      for (const [provider, entry] of Object.entries(value)) {
        if (Array.isArray(entry)) for (const e of entry) out.push({ provider, error: e });
        else out.push(entry && typeof entry === 'object' ? { provider, ...entry } : { provider, error: entry });
      }
    }
  };
  add(failures);
  if (out.length === 0 && overview) add(overview.providerFailures ?? overview.failures);
  return out;
}

/** Every server the configuration or the live stream mentions (colours are distinct across all of them). */
function knownServers(): string[] {
  const urls = new Set<string>(Object.keys(state.live?.servers ?? {}));
  for (const service of state.services) for (const s of service.loadBalancer?.servers ?? []) if (s.url) urls.add(s.url);
  return [...urls];
}

// ---- live statistics -------------------------------------------------------------------------

let previous: LiveStats | null = null;
let lastTime = 0;
const seen = new Set<string>();

function push(points: Point[], t: number, v: number | undefined): void {
  if (v === undefined || !Number.isFinite(v)) return;
  points.push({ t, v });
  const from = t - WINDOW_MS;
  let drop = 0;
  while (drop < points.length && (points[drop] as Point).t < from) drop++;
  if (drop > 0) points.splice(0, drop);
}

function serviceHistory(name: string): ServiceHistory {
  let h = state.serviceHistory.get(name);
  if (!h) {
    h = { rate: [], p50: [], p99: [], status: new Map() };
    state.serviceHistory.set(name, h);
  }
  return h;
}

function deltas(
  now: Record<string, number> | undefined,
  before: Record<string, number> | undefined,
  seconds: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cls, n] of Object.entries(now ?? {})) {
    const d = n - (before?.[cls] ?? 0);
    out[cls] = d > 0 ? d / seconds : 0;
  }
  return out;
}

/** Feeds one `stats` event (or `/api/stats` answer) into the state. */
export function ingest(stats: LiveStats): void {
  const t = toMillis(stats.time);
  if (t <= lastTime) return;
  const seconds = lastTime > 0 ? Math.max(0.2, (t - lastTime) / 1000) : 1;
  lastTime = t;
  state.live = stats;
  state.lastLiveAt = Date.now();

  for (const [url, server] of Object.entries(stats.servers ?? {})) {
    if (server.service) state.serverService.set(url, server.service);
    let points = state.servers.get(url);
    if (!points) {
      points = [];
      state.servers.set(url, points);
    }
    push(points, t, server.rate ?? 0);
  }
  assignColours(knownServers());

  for (const [name, svc] of Object.entries(stats.services ?? {})) {
    const h = serviceHistory(name);
    push(h.rate, t, svc.rate ?? 0);
    push(h.p50, t, svc.p50);
    push(h.p99, t, svc.p99);
    const perClass = previous ? deltas(svc.status, previous.services?.[name]?.status, seconds) : {};
    for (const [cls, v] of Object.entries(perClass)) {
      let points = h.status.get(cls);
      if (!points) {
        points = [];
        h.status.set(cls, points);
      }
      push(points, t, v);
    }
  }

  let rate = 0;
  let inFlight = 0;
  for (const ep of Object.values(stats.entryPoints ?? {})) {
    rate += ep.rate ?? 0;
    inFlight += ep.inFlight ?? 0;
  }
  let errorRate = 0;
  let clientErrorRate = 0;
  if (previous) {
    for (const [name, router] of Object.entries(stats.routers ?? {})) {
      const d = deltas(router.status, previous.routers?.[name]?.status, seconds);
      errorRate += d['5xx'] ?? 0;
      clientErrorRate += d['4xx'] ?? 0;
    }
  }
  state.totals = { rate, errorRate, clientErrorRate, inFlight };
  push(state.totalHistory, t, rate);

  const fresh: RecentRequest[] = [];
  for (const r of stats.recent ?? []) {
    const key = `${r.time}|${r.method}|${r.host}|${r.path}|${r.server}|${r.status}|${r.durationMs}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fresh.push(r);
  }
  if (seen.size > 4 * RECENT_MAX) {
    const keep = [...seen].slice(-2 * RECENT_MAX);
    seen.clear();
    for (const k of keep) seen.add(k);
  }
  state.recent = [...state.recent, ...fresh].slice(-RECENT_MAX);
  previous = stats;
  emit('live');
}

/**
 * Seeds the charts from `/api/stats`'s `history`: `{ step, end, entryPoints, services, servers }`,
 * each a list of per-second rates, oldest first, ending at `end`.
 */
function seedHistory(stats: LiveStats): void {
  const history = stats.history as Record<string, unknown> | undefined;
  if (!history || typeof history !== 'object') return;
  const end = toMillis((history.end as string | undefined) ?? stats.time);
  const step = (typeof history.step === 'number' ? history.step : 1) * 1000;
  const toPoints = (raw: unknown): Point[] | null => {
    if (!Array.isArray(raw)) return null;
    const from = Math.max(0, raw.length - WINDOW_MS / step);
    return raw.slice(from).map((v, i, kept) => ({ t: end - (kept.length - 1 - i) * step, v: Number(v) || 0 }));
  };
  for (const [url, raw] of Object.entries((history.servers as Record<string, unknown>) ?? {})) {
    const points = toPoints(raw);
    if (points) state.servers.set(url, points);
  }
  for (const [name, raw] of Object.entries((history.services as Record<string, unknown>) ?? {})) {
    const points = toPoints(raw);
    if (points) serviceHistory(name).rate = points;
  }
  const total = new Map<number, number>();
  for (const raw of Object.values((history.entryPoints as Record<string, unknown>) ?? {})) {
    for (const p of toPoints(raw) ?? []) total.set(p.t, (total.get(p.t) ?? 0) + p.v);
  }
  state.totalHistory = [...total].sort(([a], [b]) => a - b).map(([t, v]) => ({ t, v }));
}

// ---- connection ------------------------------------------------------------------------------

/** Applies a `server` event (a server went UP or DOWN) to the last statistics, without waiting for the next. */
function onServer(event: MessageEvent): void {
  try {
    const change = JSON.parse(event.data as string) as { url: string; health: string };
    const server = state.live?.servers?.[change.url];
    if (server === undefined) return;
    server.health = change.health;
    emit('live');
  } catch (error) {
    console.error('bad server event', error);
  }
}

let source: EventSource | null = null;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let pollTimer: ReturnType<typeof setInterval> | undefined;
let backoff = 500;
let streamMissing = false;

/** Opens the live stream; falls back to polling `/api/stats` when the stream endpoint is absent. */
export function connect(): void {
  clearTimeout(retryTimer);
  source?.close();
  setConnection(state.connection === 'live' ? 'live' : 'connecting');
  const es = new EventSource('/api/live');
  source = es;
  let opened = false;
  es.onopen = () => {
    opened = true;
    backoff = 500;
    streamMissing = false;
    stopPolling();
    setConnection('live');
    void loadConfig();
  };
  const onStats = (event: MessageEvent) => {
    try {
      ingest(JSON.parse(event.data as string) as LiveStats);
      if (state.connection !== 'live') setConnection('live');
    } catch (error) {
      console.error('bad stats event', error);
    }
  };
  es.addEventListener('stats', onStats as EventListener);
  es.addEventListener('message', onStats as EventListener);
  es.addEventListener('config', () => void loadConfig());
  es.addEventListener('server', onServer as EventListener);
  es.onerror = () => {
    es.close();
    if (source === es) source = null;
    void probe(opened);
  };
}

async function probe(streamWasOpen: boolean): Promise<void> {
  try {
    const stats = await getJson<LiveStats>('/api/stats');
    // The proxy answers: the stream either dropped (reconnect soon) or does not exist (poll).
    if (!streamWasOpen) streamMissing = true;
    if (lastTime === 0) seedHistory(stats);
    ingest(stats);
    if (streamMissing) startPolling();
    else schedule(backoff);
  } catch (error) {
    if (error instanceof HttpError) {
      // The proxy is there but has neither endpoint yet: keep configuration fresh.
      setConnection('polling');
      schedule(5000);
      void loadConfig();
    } else {
      stopPolling();
      setConnection('disconnected');
      backoff = Math.min(backoff * 2, 5000);
      schedule(backoff);
    }
  }
}

function schedule(delay: number): void {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, delay);
}

function startPolling(): void {
  setConnection('polling');
  if (pollTimer) return;
  void loadConfig();
  pollTimer = setInterval(async () => {
    try {
      ingest(await getJson<LiveStats>('/api/stats'));
    } catch (error) {
      if (!(error instanceof HttpError)) {
        stopPolling();
        setConnection('disconnected');
        schedule(1000);
      }
    }
  }, 1000);
  // Try the stream again now and then: the endpoint may appear after an upgrade.
  schedule(30_000);
}

function stopPolling(): void {
  clearInterval(pollTimer);
  pollTimer = undefined;
}

/** Starts everything: configuration, history, the stream and a watchdog for silent streams. */
export async function start(): Promise<void> {
  await loadConfig();
  try {
    const stats = await getJson<LiveStats>('/api/stats');
    seedHistory(stats);
    ingest(stats);
  } catch {
    // No history yet: the charts fill from the stream.
  }
  connect();
  setInterval(() => {
    // A stream that stays open but silent (proxy hung, network cut) counts as gone.
    if (state.connection === 'live' && state.lastLiveAt > 0 && Date.now() - state.lastLiveAt > 5000) {
      setConnection('disconnected');
      connect();
    }
  }, 1000);
}
