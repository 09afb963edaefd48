/**
 * Container-inspect fixtures for the translation tests, shaped like what Docker Engine returns
 * from `GET /containers/{id}/json` (only the fields the translation reads). A TypeScript module
 * rather than JSON files, so the compiled tests in dist/ find them too.
 */
import type { ContainerInspect } from '../../src/provider/docker/container-inspect.js';

/** What a fixture may vary. */
export interface FixtureOptions {
  id?: string;
  name: string;
  labels?: Record<string, string>;
  /** Exposed ports, e.g. `['3000/tcp']`. */
  ports?: string[];
  /** Network name → IP. Default: `{ bridge: '172.17.0.2' }`. */
  networks?: Record<string, string>;
  networkMode?: string;
  running?: boolean;
  /** Healthcheck status; undefined means the container has no healthcheck. */
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** Host bindings: `'80/tcp'` → `{ HostIp, HostPort }`. */
  bindings?: Record<string, { HostIp: string; HostPort: string }>;
}

let counter = 0;

/** A container-inspect object as the daemon would return it for a container built from `options`. */
export function inspectFixture(options: FixtureOptions): ContainerInspect {
  counter += 1;
  const ports = options.ports ?? ['80/tcp'];
  const running = options.running ?? true;
  const networks = options.networks ?? { bridge: '172.17.0.2' };
  const portMap: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const port of ports) portMap[port] = options.bindings?.[port] ? [options.bindings[port]] : null;
  return {
    Id: options.id ?? `${counter.toString(16).padStart(4, '0')}${'c0ffee'.repeat(10)}`.slice(0, 64),
    Name: `/${options.name}`,
    Config: {
      Labels: options.labels ?? {},
      ExposedPorts: Object.fromEntries(ports.map((port) => [port, {}])),
    },
    State: {
      Running: running,
      Paused: false,
      Status: running ? 'running' : 'exited',
      ...(options.health ? { Health: { Status: options.health } } : {}),
    },
    NetworkSettings: {
      Networks: Object.fromEntries(
        Object.entries(networks).map(([name, ip]) => [name, { IPAddress: ip, GlobalIPv6Address: '' }]),
      ),
      Ports: portMap,
    },
    HostConfig: { NetworkMode: options.networkMode ?? Object.keys(networks)[0] ?? 'bridge' },
  };
}

/** A replica of a compose service, labelled as docker compose labels it. */
export function composeReplica(
  project: string,
  service: string,
  index: number,
  options: Omit<FixtureOptions, 'name'> = {},
): ContainerInspect {
  return inspectFixture({
    ...options,
    name: `${project}-${service}-${index}`,
    labels: {
      'com.docker.compose.project': project,
      'com.docker.compose.service': service,
      'com.docker.compose.container-number': String(index),
      ...options.labels,
    },
  });
}
