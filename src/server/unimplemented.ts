/**
 * Reports what a configuration asks for that Switchyard does not implement yet (issue 12): TCP
 * and UDP objects. Every table build calls it (the running process, workers, `check`,
 * `explain`), whatever the provider, so none of it is silently ignored.
 *
 * Statuses, as a Traefik user reads them: a TCP or UDP object is a `warning` (it is shown and
 * counted, nothing is served in its place, and the HTTP routers keep working). TLS is
 * implemented (build-tls.ts).
 */

import { localName, qualify } from '../core/names.js';
import { addError, type PendingObject, type RuntimeConfiguration } from './runtime.js';
import { NAMED_SECTIONS } from './sections.js';

/** The qualified middlewares a TCP router names (`middlewares`: a list, or a label's comma-separated string). */
export function routerMiddlewares(router: PendingObject): string[] {
  const names = router.config?.middlewares;
  const list = typeof names === 'string' ? names.split(',') : Array.isArray(names) ? names : [];
  return list.filter((m): m is string => typeof m === 'string').map((m) => qualify(m.trim(), router.provider));
}

/** Marks each object that is not implemented (status and message). */
export function reportUnimplemented(runtime: RuntimeConfiguration): void {
  for (const { root, section, pending, objects } of NAMED_SECTIONS) {
    if (pending === undefined) continue;
    const { what, consequence } = pending;
    for (const object of objects(runtime).values()) {
      const key = `${root}.${section}.${localName(object.name)}`;
      const message = `${key}: ${what} not implemented yet; ${consequence}`;
      addError(object, message, 'warning');
    }
  }
  linkUsers(runtime.tcp.routers, runtime.tcp.services, runtime.tcp.middlewares);
  linkUsers(runtime.udp.routers, runtime.udp.services, new Map());
}

/** Fills `usedBy` of TCP/UDP services and middlewares from their routers, as Traefik's API shows it. */
function linkUsers(
  routers: Map<string, PendingObject>,
  services: Map<string, PendingObject>,
  middlewares: Map<string, PendingObject>,
): void {
  const use = (target: PendingObject | undefined, user: string) => {
    if (target !== undefined && !target.usedBy.includes(user)) target.usedBy.push(user);
  };
  for (const router of routers.values()) {
    const service = router.config?.service;
    if (typeof service === 'string') use(services.get(qualify(service, router.provider)), router.name);
    for (const name of routerMiddlewares(router)) use(middlewares.get(name), router.name);
  }
}
