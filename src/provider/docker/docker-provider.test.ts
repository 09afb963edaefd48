import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { DrainOutcome, ServerDrains } from '../../balancer/drain.js';
import type { ProviderSnapshot } from '../provider.js';
import { DockerProvider } from './docker-provider.js';

const ID = 'c0ffee000000000000000000000000000000000000000000000000000000cafe';

/** The inspect answer for one running container serving port 80 on 127.0.0.2. */
const INSPECT = {
  Id: ID,
  Name: '/web-1',
  Config: { Labels: {}, ExposedPorts: { '80/tcp': {} } },
  State: { Running: true, Status: 'running' },
  HostConfig: { NetworkMode: 'bridge' },
  NetworkSettings: { Networks: { bridge: { IPAddress: '127.0.0.2' } }, Ports: {} },
};

/** Polls `probe` until true or the deadline passes. */
async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A Docker daemon reduced to what the provider asks: list, inspect, and an event stream the test writes. */
async function fakeDaemon(): Promise<{
  url: string;
  events: () => ServerResponse | undefined;
  close(): Promise<void>;
}> {
  let events: ServerResponse | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      events = res;
    } else if (path === '/containers/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ Id: ID }]));
    } else if (path === `/containers/${ID}/json`) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(INSPECT));
    } else {
      res.writeHead(404).end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events: () => events,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('DockerProvider', () => {
  it('drops a container being killed from its snapshot, then announces its server to the drainer', async () => {
    const daemon = await fakeDaemon();
    const steps: string[] = [];
    const snapshots: ProviderSnapshot[] = [];
    const drains: ServerDrains = {
      drain(url: string): Promise<DrainOutcome> {
        steps.push(`drain ${url}`);
        return Promise.resolve({ url, ended: 'idle', inFlight: 0, waitedMs: 0 });
      },
    };
    const provider = new DockerProvider({ endpoint: daemon.url, throttleMs: 10_000 });
    provider.useDrains(drains);
    try {
      await provider.start({
        publish(snapshot) {
          snapshots.push(snapshot);
          const services = Object.keys(snapshot.config.http?.services ?? {}).length;
          steps.push(`publish ${services} service(s)`);
        },
        fail(error) {
          throw error;
        },
      });
      assert.deepEqual(steps, ['publish 1 service(s)']);
      await until(() => daemon.events() !== undefined, 'the event stream');
      const kill = { Type: 'container', Action: 'kill', Actor: { ID: ID, Attributes: { signal: '15' } } };
      daemon.events()?.write(`${JSON.stringify(kill)}\n`);
      await until(() => steps.length === 3, 'the announcement');
      assert.deepEqual(steps, ['publish 1 service(s)', 'publish 0 service(s)', 'drain http://127.0.0.2:80']);
    } finally {
      await provider.stop();
      await daemon.close();
    }
  });
});
