/**
 * Reports what a configuration asks for that Switchyard does not implement yet (issue 12): the
 * `tls` section and TLS on HTTP routers (TCP and UDP objects are built since issue 16; what they
 * still lack is reported by build-tcp.ts). Every table build calls it (the running process,
 * workers, `check`, `explain`), whatever the provider, so none of it is silently ignored and
 * none of it is routed as plain HTTP. It also links TCP and UDP services and middlewares to the
 * routers that use them (`usedBy`).
 *
 * An HTTP router with `tls` is `disabled`, because serving it over plain HTTP would answer in
 * clear text requests meant to be encrypted, on every entry point it names.
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
      const message = `${key}: ${what} not implemented yet; ${consequence}`;
      addError(object, message, 'warning');
      // TLS options and stores have no API endpoint of their own: the issues list shows them.
      if (root === 'tls') runtime.issues.push({ severity: 'warning', key, message, source: object.provider });
    }
  }
  linkUsers(runtime.tcp.routers, runtime.tcp.services, runtime.tcp.middlewares);
  linkUsers(runtime.udp.routers, runtime.udp.services, new Map());
  const certificates = new Map<string, number>();
  for (const certificate of runtime.tls.certificates) {
    certificates.set(certificate.provider, (certificates.get(certificate.provider) ?? 0) + 1);
  }
  for (const [provider, count] of certificates) {
    runtime.issues.push({
      severity: 'warning',
      key: 'tls.certificates',
      message: `tls.certificates: TLS is not implemented yet; ${count} certificate(s) ignored`,
      source: provider,
    });
  }
  for (const router of runtime.routers.values()) {
    if (router.config === undefined || !wantsTls(router.config.tls)) continue;
    addError(
      router,
      `http.routers.${localName(router.name)}.tls: TLS is not implemented yet; the router is disabled rather than served over plain HTTP`,
    );
  }
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
