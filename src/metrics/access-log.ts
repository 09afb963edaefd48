/**
 * The access log (`accessLog`): one line per finished request, in Traefik's `common` format
 * (CLF + `"<router>" "<server URL>" <duration>ms`) or `json` (Traefik's field names, Duration
 * in nanoseconds), kept or dropped by `filters` (status ranges, retried requests, minimum
 * duration: a line is kept when any filter matches), with `fields` modes (keep/drop/redact).
 * Requests to `…@internal` routers are not logged, as in Traefik without `addInternals`.
 */

import type { AccessLogConfig } from '../config/static-schema.js';
import type { Logger } from '../core/logger.js';
import type { RequestContext } from '../core/request-context.js';
import { ConfigError } from '../errors.js';
import { connectionFacts } from '../server/listener/connection-facts.js';
import { LineWriter } from './line-writer.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses `filters.statusCodes` (`"200"`, `"400-499"`) into [low, high] pairs. */
export function parseStatusRanges(entries: readonly string[]): Array<[number, number]> {
  return entries.map((entry, index) => {
    const match = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(entry);
    if (match === null) {
      throw new ConfigError(
        `invalid status code range ${JSON.stringify(entry)} (use 404 or 400-499)`,
        `accessLog.filters.statusCodes[${index}]`,
      );
    }
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    return [Math.min(low, high), Math.max(low, high)];
  });
}

/** Writes access log lines for finished requests. */
export class AccessLog {
  private readonly writer: LineWriter;
  private readonly statusRanges: Array<[number, number]> | null;
  private readonly retryFilter: boolean;
  private readonly minDurationMs: number;
  private readonly filtered: boolean;
  private readonly json: boolean;
  private readonly fieldModes: Record<string, string>;
  private readonly defaultMode: string;
  private readonly headerModes: Array<[lowerName: string, field: string, mode: string]>;
  private readonly keepAllHeaders: boolean;
  private count = 0;
  private readonly onSignal = () => this.writer.reopen();

  constructor(
    config: AccessLogConfig,
    logger: Logger,
    private readonly signal: NodeJS.Signals | null = 'SIGUSR1',
  ) {
    const filters = config.filters;
    this.statusRanges = filters.statusCodes === undefined ? null : parseStatusRanges(filters.statusCodes);
    this.retryFilter = filters.retryAttempts;
    this.minDurationMs = filters.minDuration;
    this.filtered = this.statusRanges !== null || this.retryFilter || this.minDurationMs > 0;
    this.json = config.format === 'json';
    this.defaultMode = config.fields.defaultMode;
    this.fieldModes = config.fields.names ?? {};
    const headers = config.fields.headers;
    this.keepAllHeaders = headers.defaultMode !== 'drop';
    this.headerModes = Object.entries(headers.names ?? {}).map(([name, mode]) => [
      name.toLowerCase(),
      `request_${name}`,
      mode,
    ]);
    this.writer = new LineWriter(config.filePath, config.bufferingSize, logger);
    if (config.filePath !== undefined && signal !== null) process.on(signal, this.onSignal);
  }

  /** Lines dropped because the output failed or lagged. */
  get dropped(): number {
    return this.writer.dropped;
  }

  /** Logs one finished request (the entry point's observer calls this). */
  record(ctx: RequestContext, startedAt: number, bytesOut: number, bytesIn: number): void {
    this.count++;
    if (ctx.router.endsWith('@internal')) return;
    const durationMs = performance.now() - startedAt;
    const res = ctx.res;
    let status = res.statusCode;
    if (status === 200 && !res.headersSent) status = 499;
    const retries = ctx.retries ?? 0;
    if (this.filtered && !this.keep(status, retries, durationMs)) return;
    const start = new Date(performance.timeOrigin + startedAt);
    const size = bodySize(res, bytesOut);
    this.writer.write(
      this.json
        ? this.jsonLine(ctx, start, status, size, bytesIn, durationMs, retries)
        : this.commonLine(ctx, start, status, size, durationMs),
    );
  }

  /** Reopens the file (what SIGUSR1 does). */
  reopen(): void {
    this.writer.reopen();
  }

  /** Flushes and closes; stops listening for the reopen signal. */
  async close(): Promise<void> {
    if (this.signal !== null) process.off(this.signal, this.onSignal);
    await this.writer.close();
  }

  private keep(status: number, retries: number, durationMs: number): boolean {
    if (this.statusRanges !== null) {
      for (const [low, high] of this.statusRanges) if (status >= low && status <= high) return true;
    }
    if (this.retryFilter && retries > 0) return true;
    return this.minDurationMs > 0 && durationMs > this.minDurationMs;
  }

  private mode(field: string): string {
    return this.fieldModes[field] ?? this.defaultMode;
  }

  private commonLine(ctx: RequestContext, start: Date, status: number, size: number, durationMs: number): string {
    const req = ctx.req;
    const field = (name: string, value: string) => {
      const mode = this.mode(name);
      return mode === 'drop' ? '-' : mode === 'redact' ? 'REDACTED' : value;
    };
    const referer = req.headers.referer ?? '-';
    const agent = req.headers['user-agent'] ?? '-';
    return (
      `${field('ClientHost', clientHost(ctx))} - ${field('ClientUsername', ctx.user || '-')} [${clfTime(start)}] ` +
      `"${field('RequestMethod', req.method ?? 'GET')} ${field('RequestPath', req.url ?? '/')} ${field('RequestProtocol', `HTTP/${req.httpVersion}`)}" ` +
      `${field('DownstreamStatus', String(status))} ${field('DownstreamContentSize', String(size))} ` +
      `${quote(referer)} ${quote(agent)} ${this.count} ` +
      `${quote(field('RouterName', ctx.router || '-'))} ${quote(field('ServiceURL', ctx.serverUrl || '-'))} ` +
      `${Math.round(durationMs)}ms`
    );
  }

  private jsonLine(
    ctx: RequestContext,
    start: Date,
    status: number,
    size: number,
    bytesIn: number,
    durationMs: number,
    retries: number,
  ): string {
    const req = ctx.req;
    const socket = req.socket;
    const host = clientHost(ctx);
    const port = socket.remotePort ?? 0;
    const requestAddr = req.headers.host ?? '';
    const colon = requestAddr.lastIndexOf(':');
    const hasPort = colon > requestAddr.lastIndexOf(']');
    const durationNs = Math.round(durationMs * 1e6);
    const server = ctx.serverUrl ?? '';
    const fields: Record<string, unknown> = {
      ClientAddr: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
      ClientHost: host,
      ClientPort: String(port),
      ClientUsername: ctx.user || '-',
      DownstreamContentSize: size,
      DownstreamStatus: status,
      Duration: durationNs,
      EntryPointName: ctx.entryPoint,
      RequestAddr: requestAddr,
      RequestContentSize: bytesIn,
      RequestCount: this.count,
      RequestHost: ctx.host,
      RequestMethod: req.method ?? 'GET',
      RequestPath: req.url ?? '/',
      RequestPort: hasPort ? requestAddr.slice(colon + 1) : '-',
      RequestProtocol: `HTTP/${req.httpVersion}`,
      RequestScheme: ctx.scheme,
      RetryAttempts: retries,
      StartLocal: localIso(start),
      StartUTC: start.toISOString(),
    };
    if (server !== '') {
      fields.OriginContentSize = size;
      fields.OriginStatus = status;
      fields.ServiceAddr = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
      fields.ServiceURL = server;
    }
    if (ctx.scheme === 'https') {
      // Traefik's TLS fields: the version as `1.3`, the cipher suite's IANA (Go) name.
      const facts = connectionFacts(socket);
      if (facts.tlsVersion !== undefined) fields.TLSVersion = facts.tlsVersion.replace(/^TLSv/, '');
      if (facts.cipher !== undefined) fields.TLSCipher = facts.cipher;
      if (facts.clientSubject !== undefined) fields.TLSClientSubject = facts.clientSubject;
    }
    if (ctx.router !== '') fields.RouterName = ctx.router;
    if (ctx.service) fields.ServiceName = ctx.service;
    for (const name of Object.keys(fields)) {
      const mode = this.mode(name);
      if (mode === 'drop') delete fields[name];
      else if (mode === 'redact') fields[name] = 'REDACTED';
    }
    this.addHeaders(fields, req.headers);
    fields.level = 'info';
    fields.msg = '';
    fields.time = new Date().toISOString();
    const ordered: Record<string, unknown> = {};
    for (const key of Object.keys(fields).sort()) ordered[key] = fields[key];
    return JSON.stringify(ordered);
  }

  private addHeaders(fields: Record<string, unknown>, headers: RequestContext['req']['headers']): void {
    if (this.keepAllHeaders) {
      for (const [name, value] of Object.entries(headers)) {
        const listed = this.headerModes.find((h) => h[0] === name);
        const mode = listed?.[2] ?? 'keep';
        if (mode === 'drop') continue;
        fields[`request_${canonical(name)}`] = mode === 'redact' ? 'REDACTED' : value;
      }
      return;
    }
    for (const [lower, field, mode] of this.headerModes) {
      const value = headers[lower];
      if (value === undefined || mode === 'drop') continue;
      fields[field] = mode === 'redact' ? 'REDACTED' : value;
    }
  }
}

/**
 * Body bytes sent: the socket's bytes for this exchange minus the response head. The proxy
 * writes upstream headers with raw arrays, so `getHeader('content-length')` cannot tell; Node
 * keeps the serialised head in `_header` (long-standing, if internal).
 */
function bodySize(res: RequestContext['res'], bytesOut: number): number {
  const head = (res as unknown as { _header?: string | null })._header;
  return typeof head === 'string' ? Math.max(0, bytesOut - Buffer.byteLength(head, 'latin1')) : bytesOut;
}

function clientHost(ctx: RequestContext): string {
  const address = ctx.req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function quote(value: string | string[]): string {
  return `"${String(value).replace(/["\\]/g, '\\$&')}"`;
}

/** `02/Jan/2006:15:04:05 +0000`, in UTC as Traefik writes it. */
function clfTime(date: Date): string {
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function localIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, -1);
  return `${local}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `user-agent` → `User-Agent`. */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
}
