/**
 * Turns `providers.docker.endpoint` into dockerode connection options. `DOCKER_HOST` is honoured
 * when the endpoint is left at its default, the same precedence the docker CLI users expect:
 * configuration they wrote beats the environment, the environment beats the built-in default.
 */
import type Docker from 'dockerode';
import { ConfigError } from '../../errors.js';

/** The endpoint used when none is configured. */
export const DEFAULT_DOCKER_ENDPOINT = 'unix:///var/run/docker.sock';

/** Where to reach the daemon: dockerode options and the endpoint as shown in messages. */
export interface DockerConnection {
  endpoint: string;
  options: Docker.DockerOptions;
}

/** Resolves the endpoint (config, else `DOCKER_HOST`, else the default socket); throws ConfigError if unusable. */
export function resolveDockerEndpoint(
  configured: string | undefined,
  env: Record<string, string | undefined> = process.env,
): DockerConnection {
  let endpoint = configured ?? DEFAULT_DOCKER_ENDPOINT;
  if (endpoint === DEFAULT_DOCKER_ENDPOINT && env.DOCKER_HOST) endpoint = env.DOCKER_HOST;
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length);
    if (socketPath === '')
      throw new ConfigError(`docker endpoint ${endpoint} names no socket`, 'providers.docker.endpoint');
    return { endpoint, options: { socketPath } };
  }
  if (endpoint.startsWith('/')) return { endpoint: `unix://${endpoint}`, options: { socketPath: endpoint } };
  const match = /^(tcp|http|https):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(endpoint);
  if (match) {
    const [, scheme, host, port] = match;
    const protocol = scheme === 'https' ? 'https' : 'http';
    const defaultPort = protocol === 'https' ? 2376 : 2375;
    return {
      endpoint,
      options: { protocol, host: host!.replace(/^\[|\]$/g, ''), port: port === undefined ? defaultPort : Number(port) },
    };
  }
  throw new ConfigError(
    `unsupported docker endpoint ${JSON.stringify(endpoint)} (expected unix:///path/to/docker.sock or tcp://host:port)`,
    'providers.docker.endpoint',
  );
}
