/**
 * Reports what a configuration asks for that Switchyard does not implement yet (issue 12): TCP
 * and UDP objects, the `tls` section, and TLS on HTTP routers. Every table build calls it (the
 * running process, workers, `check`, `explain`), whatever the provider, so none of it is
 * silently ignored and none of it is routed as plain HTTP.
 *
 * Statuses, as a Traefik user reads them: a TCP or UDP object is a `warning` (it is shown and
 * counted, nothing is served in its place, and the HTTP routers keep working), while an HTTP
 * router with `tls` is `disabled`, because serving it over plain HTTP would answer in clear
 * text requests meant to be encrypted, on every entry point it names.
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

/**
 * True when a router's `tls` asks for TLS (`tls: {}`, an empty `tls:`, `tls=true`); only
 * `false` (a label's `tls=false`) does not: when in doubt, not serving beats serving in clear.
 */
function wantsTls(tls: unknown): boolean {
  if (tls === undefined || tls === false) return false;
  return !(typeof tls === 'string' && tls.trim().toLowerCase() === 'false');
}

/** Marks each object that is not implemented (status and message) and lists the TLS section in `issues`. */
export function reportUnimplemented(runtime: RuntimeConfiguration): void {
  for (const { root, section, pending, objects } of NAMED_SECTIONS) {
    if (pending === undefined) continue;
    const { what, consequence } = pending;
    for (const object of objects(runtime).values()) {
      const key = `${root}.${section}.${localName(object.name)}`;
      // The position (file:line:col, or the containers) goes with the message to logs, the API and `check`.
      const message = `${key}: ${what} not implemented yet; ${consequence}${at(object.location)}`;
      addError(object, message, 'warning');
      // TLS options and stores have no API endpoint of their own: the issues list shows them.
      if (root === 'tls')
        runtime.issues.push({
          severity: 'warning',
          key,
          message,
          source: object.provider,
          ...(object.location === undefined ? {} : { location: object.location }),
        });
    }
  }
  linkUsers(runtime.tcp.routers, runtime.tcp.services, runtime.tcp.middlewares);
  linkUsers(runtime.udp.routers, runtime.udp.services, new Map());
  const certificates = new Map<string, { count: number; locations: string[] }>();
  for (const certificate of runtime.tls.certificates) {
    const entry = certificates.get(certificate.provider) ?? { count: 0, locations: [] };
    entry.count++;
    if (certificate.location !== undefined) entry.locations.push(certificate.location);
    certificates.set(certificate.provider, entry);
  }
  for (const [provider, { count, locations }] of certificates) {
    runtime.issues.push({
      severity: 'warning',
      key: 'tls.certificates',
      message: `tls.certificates: TLS is not implemented yet; ${count} certificate(s) ignored${at(locations.join(', ') || undefined)}`,
      source: provider,
      ...(locations[0] === undefined ? {} : { location: locations[0] }),
    });
  }
  reportRuleSyntax(runtime);
  for (const router of runtime.routers.values()) {
    if (router.config === undefined || !wantsTls(router.config.tls)) continue;
    addError(
      router,
      `http.routers.${localName(router.name)}.tls: TLS is not implemented yet; the router is disabled rather than served over plain HTTP${at(router.location)}`,
    );
  }
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
