/**
 * Reports what a configuration asks for that Switchyard does not implement yet. TCP and UDP
 * objects are built since issue 16 (what they still lack is reported by build-tcp.ts), TLS since
 * issue 14 (build-tls.ts). Every table build calls it (the running process, workers, `check`,
 * `explain`), whatever the provider, so none of it is silently ignored. It also links TCP and
 * UDP services and middlewares to the routers that use them (`usedBy`).
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
      // The position (file:line:col, or the containers) goes with the message to logs, the API and `check`.
      const message = `${key}: ${what} not implemented yet; ${consequence}${at(object.location)}`;
      addError(object, message, 'warning');
    }
  }
  linkUsers(runtime.tcp.routers, runtime.tcp.services, runtime.tcp.middlewares);
  linkUsers(runtime.udp.routers, runtime.udp.services, new Map());
  reportRuleSyntax(runtime);
}

/**
 * `ruleSyntax: v2` (and anything but v3) asks for Traefik v2's rule language, which Switchyard
 * does not read: the rule is read as v3, said with a warning (it may then fail or match alike).
 */
function reportRuleSyntax(runtime: RuntimeConfiguration): void {
  for (const router of runtime.routers.values()) {
    const syntax = router.config?.ruleSyntax;
    if (syntax === undefined || syntax.trim().toLowerCase() === 'v3') continue;
    addError(
      router,
      `http.routers.${localName(router.name)}.ruleSyntax: the ${JSON.stringify(syntax)} rule syntax is not implemented; the rule is read with the v3 syntax${at(router.location)}`,
      'warning',
    );
  }
}

/** ` (dynamic.yml:4:5)`, or nothing when the position is not known. */
function at(location: string | undefined): string {
  return location === undefined ? '' : ` (${location})`;
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
