/**
 * redirectScheme: sends clients to another scheme (usually https), keeping the host and path.
 * The request's port is dropped and replaced by the configured one, unless it is the default
 * for the target scheme. Requests already on the target scheme pass through, as Traefik's
 * documentation states, so the middleware can sit on a router shared by both entry points.
 */
import { z } from 'zod';
import { boolValue } from '../config/value-schemas.js';
import { requestUri } from '../proxy/request-headers.js';
import { isDefaultPort, sendRedirect, splitHostPort } from './redirect.js';
import type { Handler, MiddlewareDefinition } from './types.js';

const schema = z.strictObject({
  scheme: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9+.-]*$/, 'expected a scheme such as "https"'),
  port: z
    .union([z.string(), z.number()])
    .transform((port) => String(port).trim())
    .refine((port) => port === '' || (/^\d{1,5}$/.test(port) && Number(port) <= 65535), 'expected a port number')
    .optional(),
  permanent: boolValue.optional(),
});

/** Validated redirectScheme options. */
export type RedirectSchemeOptions = z.output<typeof schema>;

/** The redirectScheme middleware type. */
export const redirectScheme: MiddlewareDefinition<RedirectSchemeOptions> = {
  type: 'redirectScheme',
  schema,
  build(options) {
    const scheme = options.scheme;
    const port = options.port ?? '';
    const portPart = port === '' || isDefaultPort(scheme, port) ? '' : `:${port}`;
    const prefix = `${scheme}://`;
    const permanent = options.permanent === true;
    return (next: Handler): Handler =>
      (ctx) => {
        if (ctx.scheme === scheme) {
          next(ctx);
          return;
        }
        const [host] = splitHostPort(ctx.req.headers.host ?? ctx.host);
        sendRedirect(ctx, prefix + host + portPart + requestUri(ctx), permanent);
      };
  },
};
