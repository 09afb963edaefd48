/**
 * Merges the objects that several workloads define under one name, as Traefik's provider merge
 * does: identical definitions are one object; services that differ only in their servers are one
 * service whose servers are the union (this is how the replicas of a compose service become one
 * load-balanced service); anything else is a conflict, and the object is left out and reported
 * with the names of the workloads involved, while every other object keeps working.
 */
import type { ServerConfig, ServiceConfig } from '../../config/dynamic-schema.js';
import type { ConfigIssue } from '../../core/config-issue.js';

/** The kinds of object a workload's labels can define. */
export type ObjectKind = 'routers' | 'services' | 'middlewares' | 'serversTransports';

const SINGULAR: Record<ObjectKind, string> = {
  routers: 'router',
  services: 'service',
  middlewares: 'middleware',
  serversTransports: 'servers transport',
};

interface Entry {
  config: Record<string, unknown>;
  /** Canonical JSON of the definition (for services: without the servers). */
  key: string;
  /** Who defines it, by kind (`container` → names), for the conflict message. */
  owners: Map<string, string[]>;
  conflict: boolean;
}

/** JSON with object keys sorted, so equal definitions compare equal whatever their key order. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

function withoutServers(service: ServiceConfig): unknown {
  if (service.loadBalancer === undefined) return service;
  const { servers: _servers, ...loadBalancer } = service.loadBalancer;
  return { ...service, loadBalancer };
}

/** Accumulates the objects of many workloads, then yields one configuration and its conflicts. */
export class LabelObjectMerger {
  /** `section`: the configuration section the objects belong to (`http`, `tcp`, `udp`), for paths and messages. */
  constructor(private readonly section: 'http' | 'tcp' | 'udp' = 'http') {}

  private readonly entries: Record<ObjectKind, Map<string, Entry>> = {
    routers: new Map(),
    services: new Map(),
    middlewares: new Map(),
    serversTransports: new Map(),
  };

  /** Adds one object that `owner` (a workload's kind and name) defines. */
  add(kind: ObjectKind, name: string, config: Record<string, unknown>, owner: { kind: string; name: string }): void {
    const key = stableStringify(kind === 'services' ? withoutServers(config as ServiceConfig) : config);
    const map = this.entries[kind];
    const existing = map.get(name);
    if (existing === undefined) {
      map.set(name, {
        config: structuredClone(config),
        key,
        owners: new Map([[owner.kind, [owner.name]]]),
        conflict: false,
      });
      return;
    }
    const names = existing.owners.get(owner.kind) ?? [];
    if (!names.includes(owner.name)) names.push(owner.name);
    existing.owners.set(owner.kind, names);
    if (existing.key !== key) {
      existing.conflict = true;
      return;
    }
    if (kind === 'services') mergeServers(existing.config as ServiceConfig, config as ServiceConfig);
  }

  /** Whether an object of this kind and name was added (conflicting or not). */
  has(kind: ObjectKind, name: string): boolean {
    return this.entries[kind].has(name);
  }

  /** Whether any object of this kind was added (conflicting or not). */
  hasAny(kind: ObjectKind): boolean {
    return this.entries[kind].size > 0;
  }

  /** The merged objects of one kind, sorted by name, conflicts left out. */
  objects(kind: ObjectKind): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const name of [...this.entries[kind].keys()].sort()) {
      const entry = this.entries[kind].get(name)!;
      if (!entry.conflict) out[name] = entry.config;
    }
    return out;
  }

  /** Where each object comes from (`http.routers.web` → `containers shop-web-1, shop-web-2`), for messages. */
  origins(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const kind of Object.keys(this.entries) as ObjectKind[]) {
      for (const [name, entry] of this.entries[kind])
        out[`${this.section}.${kind}.${name}`] = describeOwners(entry.owners);
    }
    return out;
  }

  /** One error per conflicting object, naming the workloads that define it. */
  conflicts(): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const kind of Object.keys(this.entries) as ObjectKind[]) {
      for (const [name, entry] of this.entries[kind]) {
        if (!entry.conflict) continue;
        const owners = describeOwners(entry.owners);
        const what = this.section === 'http' ? SINGULAR[kind] : `${this.section.toUpperCase()} ${SINGULAR[kind]}`;
        issues.push({
          path: [this.section, kind, name],
          message: `${what} ${JSON.stringify(name)} is defined with different configurations by ${owners}; it is disabled until they agree`,
          location: owners,
          severity: 'error',
        });
      }
    }
    return issues;
  }
}

/** `containers one, two` (and `and replicas …` should kinds ever mix). */
function describeOwners(owners: Map<string, string[]>): string {
  return [...owners.keys()]
    .sort()
    .map((ownerKind) => `${ownerKind}s ${[...owners.get(ownerKind)!].sort().join(', ')}`)
    .join(' and ');
}

/**
 * Adds `from`'s servers to `into`'s, one per URL (HTTP) or address (TCP, UDP), sorted so the
 * output is deterministic.
 */
function mergeServers(into: ServiceConfig, from: ServiceConfig): void {
  const target = into.loadBalancer;
  const extra = from.loadBalancer?.servers;
  if (target === undefined || extra === undefined) return;
  const byKey = new Map<string, ServerConfig>();
  for (const server of [...(target.servers ?? []), ...extra]) {
    const key = serverKey(server);
    if (!byKey.has(key)) byKey.set(key, server);
  }
  target.servers = [...byKey.values()].sort((a, b) =>
    serverKey(a) < serverKey(b) ? -1 : serverKey(a) > serverKey(b) ? 1 : 0,
  );
}

function serverKey(server: ServerConfig): string {
  return server.url ?? (server as { address?: string }).address ?? '';
}
