/**
 * Protocol upgrades (WebSocket and any other `Upgrade`): the request goes upstream on its own
 * connection; on `101 Switching Protocols` the two sockets are spliced together, otherwise the
 * upstream's answer is relayed as an ordinary response.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { RequestContext } from '../core/request-context.js';
import type { ForwardSettings } from './forward.js';
import { connectionTokens, HOP_BY_HOP } from './hop-by-hop.js';
import { buildRequestHeaders, plainAddress, requestUri } from './request-headers.js';
import { sendError } from './responses.js';
import type { UpstreamTarget } from './upstream-target.js';

/** Forwards an upgrade request in `ctx` (which carries `upgradeHead`) to `target`. */
export function forwardUpgrade(ctx: RequestContext, target: UpstreamTarget, settings: ForwardSettings): void {
  const req = ctx.req;
  const client = req.socket;
  const headers = buildRequestHeaders(req.headers, {
    remoteAddress: plainAddress(client.remoteAddress),
    scheme: ctx.scheme,
    localPort: client.localPort ?? 0,
    upstreamHost: settings.passHostHeader ? null : target.authority,
    upgrade: String(req.headers.upgrade ?? ''),
  });
  const path = target.basePath + requestUri(ctx);
  const https = target.protocol === 'https:';
  ctx.serverUrl = target.url;
  target.state.requests++;
  target.state.inFlight++;
  let released = false;
  const release = () => {
    if (!released) {
      released = true;
      target.state.inFlight--;
    }
  };
  const upstreamReq = (https ? httpsRequest : httpRequest)({
    host: target.hostname,
    port: target.port,
    method: req.method,
    path,
    headers,
    setHost: false,
    rejectUnauthorized: !settings.transport.options.insecureSkipVerify,
  });
  upstreamReq.on('upgrade', (upstreamRes: IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
    client.write(switchingHead(upstreamRes));
    if (upstreamHead.length > 0) client.write(upstreamHead);
    const head = ctx.upgradeHead;
    if (head && head.length > 0) upstream.write(head);
    ctx.res.statusCode = 101;
    const close = () => {
      upstream.destroy();
      client.destroy();
      release();
    };
    upstream.on('error', close).on('close', close);
    client.on('error', close).on('close', close);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstreamReq.on('response', (upstreamRes: IncomingMessage) => {
    // The server declined the upgrade: relay its answer as a normal response, without its
    // hop-by-hop headers and those its Connection header names.
    const raw = upstreamRes.rawHeaders;
    const named = connectionTokens(upstreamRes.headers.connection);
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const lower = (raw[i] as string).toLowerCase();
      if (!HOP_BY_HOP.has(lower) && named?.has(lower) !== true) out.push(raw[i] as string, raw[i + 1] as string);
    }
    ctx.res.writeHead(upstreamRes.statusCode ?? 502, out);
    upstreamRes.pipe(ctx.res);
    ctx.res.once('close', release);
  });
  upstreamReq.on('error', () => {
    target.state.failures++;
    release();
    sendError(ctx.res, 502);
  });
  client.once('close', () => upstreamReq.destroy());
  upstreamReq.end();
}

function switchingHead(upstreamRes: IncomingMessage): string {
  let head = `HTTP/1.1 101 ${upstreamRes.statusMessage || 'Switching Protocols'}\r\n`;
  const raw = upstreamRes.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}\r\n`;
}
