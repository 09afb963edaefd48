// request-stamp: an example Switchyard local plugin (docs/plugins.md).
//
// Declared in the static configuration:
//   experimental:
//     localPlugins:
//       stamp:
//         moduleName: request-stamp
// and used as a middleware in the dynamic configuration:
//   http:
//     middlewares:
//       stamp-it:
//         plugin:
//           stamp:
//             headers:
//               X-Stamp: switchyard
//             blockedPaths: [/admin]
//             blockStatus: 403

/** The defaults; the middleware's options are merged over them. */
export function createConfig() {
  return {
    // Request headers added before the request goes on (to the server).
    headers: {},
    // Response header naming the middleware that handled the request ('' for none).
    responseHeader: 'X-Stamped-By',
    // Path prefixes answered here, never forwarded.
    blockedPaths: [],
    blockStatus: 403,
  };
}

/**
 * Called once per middleware when the routing table is built. Checks the configuration (a throw
 * here puts the middleware in error, with this message) and returns the per-request handler.
 */
export function create(next, config, name) {
  const headers = Object.entries(config.headers ?? {}).map(([key, value]) => [key.toLowerCase(), String(value)]);
  const blocked = Array.isArray(config.blockedPaths) ? config.blockedPaths : [];
  const status = Number(config.blockStatus);
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new Error(`blockStatus must be an HTTP error status (400-599), got ${config.blockStatus}`);
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (blocked.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) {
      // Short-circuit: answer here; the server never sees the request.
      const body = `blocked by ${name}\n`;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    for (const [key, value] of headers) req.headers[key] = value;
    // Set before next: it goes out with the server's answer.
    if (config.responseHeader) res.setHeader(config.responseHeader, name);
    next(req, res);
  };
}
