/**
 * The proxy seam, in the shape of Traefik's proxy builder: from a service's forwarding settings
 * (its `serversTransport` among them), one function that takes a request to a server. Every way of
 * talking to a server goes through here, so the load balancer never branches on protocol: HTTP/1.1
 * requests and upgrades today (both on the proxy's own client, with the same timeouts, passive
 * health, response headers, drain and retire rules); HTTP/2 to servers (h2c, h2 over TLS) is
 * another builder chosen by the transport.
 */
import type { RequestContext } from '../core/request-context.js';
import { type ForwardSettings, forward } from './forward.js';
import { forwardHttp2 } from './http2-forward.js';
import { forwardUpgrade } from './upgrade.js';
import type { UpstreamTarget } from './upstream-target.js';

/** Takes one request to one server and streams the answer back. */
export type ServerProxy = (ctx: RequestContext, target: UpstreamTarget) => void;

/** The proxy for a service's forwarding settings (built once, when the table is built). */
export function buildProxy(settings: ForwardSettings): ServerProxy {
  // HTTP/2 for `h2c://` servers, and for `https://` ones unless `disableHTTP2` (ALPN decides,
  // once per server: one that picks HTTP/1.1 falls back to `forward`). An upgrade (WebSocket) is
  // always an HTTP/1.1 request of its own kind.
  const h2OverTls = !settings.transport.options.disableHTTP2;
  return (ctx, target) => {
    if (ctx.upgradeHead != null) forwardUpgrade(ctx, target, settings);
    else if (target.protocol === 'http:') forward(ctx, target, settings);
    else if (target.protocol === 'h2c:' || h2OverTls) forwardHttp2(ctx, target, settings, forward);
    else forward(ctx, target, settings);
  };
}
