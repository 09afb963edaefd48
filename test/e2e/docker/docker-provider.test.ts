/**
 * The Docker provider against a real Docker engine: a container started here appears in a
 * published snapshot with its real server URL, is dropped as soon as it is being stopped (while
 * it still runs), and a missing daemon is reported through fail() and recovered from by itself.
 * Skips when /var/run/docker.sock is absent. Needs no registry: the test image is made from the
 * host's static busybox with `docker import`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import type { DrainOutcome } from '../../../src/balancer/drain.js';
import type { ServiceConfig } from '../../../src/config/dynamic-schema.js';
import type { SwitchyardError } from '../../../src/errors.js';
import { DockerProvider } from '../../../src/provider/docker/docker-provider.js';
import type { ProviderSink, ProviderSnapshot } from '../../../src/provider/provider.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../helpers/busybox-image.js';

const SOCKET = '/var/run/docker.sock';
const IMAGE = BUSYBOX_IMAGE;
const skip = existsSync(SOCKET) ? false : `no Docker engine here (${SOCKET} is absent)`;

/** A sink that records everything, with a way to wait for a condition. */
class RecordingSink implements ProviderSink {
  readonly snapshots: ProviderSnapshot[] = [];
  readonly failures: SwitchyardError[] = [];
  private readonly waiters = new Set<() => void>();

  publish(snapshot: ProviderSnapshot): void {
    this.snapshots.push(snapshot);
    for (const wake of this.waiters) wake();
  }

  fail(error: SwitchyardError): void {
    this.failures.push(error);
    for (const wake of this.waiters) wake();
  }

  get last(): ProviderSnapshot | undefined {
    return this.snapshots.at(-1);
  }

  /** Resolves when `check` holds (checked now and after each publish or fail), or rejects at the deadline. */
  async until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`timed out waiting for ${what}; last snapshot: ${JSON.stringify(this.last)}`));
      }, timeoutMs);
      const wake = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }
}

function service(snapshot: ProviderSnapshot | undefined, name: string): ServiceConfig | undefined {
  return snapshot?.config.http?.services?.[name];
}

describe('the Docker provider against a real engine', { skip, timeout: 120_000 }, () => {
  const docker = new Docker({ socketPath: SOCKET });
  const run = randomBytes(4).toString('hex');
  const created: Docker.Container[] = [];
  const providers: DockerProvider[] = [];

  before(async () => {
    await ensureBusyboxImage(docker);
  });

  after(async () => {
    for (const provider of providers) await provider.stop();
    for (const container of created) await container.remove({ force: true }).catch(() => {});
  });

  test('a started container is published with its server URL, then dropped while it is still stopping', async () => {
    const sink = new RecordingSink();
    // Only this run's containers: other work may be using the same engine.
    // A long throttle: the stop below must bypass it (a leaving container is published at once).
    const provider = new DockerProvider({ constraints: `Label(\`switchyard.e2e\`, \`${run}\`)`, throttleMs: 5_000 });
    providers.push(provider);
    // The drainer the provider announces leaving servers to, recording whether the snapshot
    // without the server was already out (it must be: no balancer may pick it any more).
    const announced: Array<{ url: string; alreadyUnpublished: boolean }> = [];
    provider.useDrains({
      drain(url: string): Promise<DrainOutcome> {
        announced.push({ url, alreadyUnpublished: service(sink.last, name) === undefined });
        return Promise.resolve({ url, ended: 'idle', inFlight: 0, waitedMs: 0 });
      },
    });
    await provider.start(sink);
    assert.deepEqual(sink.failures, []);
    assert.ok(sink.last, 'a first snapshot is published at start');

    const name = `sy-e2e-${run}-web`;
    const container = await docker.createContainer({
      name,
      Image: IMAGE,
      // PID 1 ignores SIGTERM, so `docker stop` leaves it running for the whole grace period.
      Cmd: [
        '/bin/busybox',
        'sh',
        '-c',
        '/bin/busybox mkdir -p /www && echo switchyard > /www/index.html && exec /bin/busybox httpd -f -p 3000 -h /www',
      ],
      ExposedPorts: { '3000/tcp': {} },
      Labels: { 'switchyard.e2e': run },
    });
    created.push(container);
    await container.start();
    const inspected = await container.inspect();
    const ip = Object.values(inspected.NetworkSettings.Networks)[0]?.IPAddress;
    assert.ok(ip, 'the container has an IP address');
    const url = `http://${ip}:3000`;

    await sink.until('the container in a snapshot', () => service(sink.last, name) !== undefined);
    assert.deepEqual(service(sink.last, name), { loadBalancer: { servers: [{ url }] } });
    assert.deepEqual(sink.last?.config.http?.routers?.[name], { rule: `Host(\`${name}\`)`, service: name });

    const response = await fetch(`${url}/index.html`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'switchyard\n');

    const stopping = container.stop({ t: 4 });
    await sink.until('the container drained', () => service(sink.last, name) === undefined, 3_000);
    const state = await container.inspect();
    assert.equal(state.State.Running, true, 'it is dropped before it dies');
    assert.deepEqual(announced, [{ url, alreadyUnpublished: true }], 'announced to the drainer after the snapshot');
    await stopping;
    assert.equal(service(sink.last, name), undefined);
    assert.deepEqual(sink.failures, []);
  });

  test('a daemon that is missing is reported through fail(), and the provider reconnects when it appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-docker-'));
    const socketPath = join(dir, 'docker.sock');
    const sink = new RecordingSink();
    const provider = new DockerProvider({
      endpoint: `unix://${socketPath}`,
      constraints: `Label(\`switchyard.e2e\`, \`${run}\`)`,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    providers.push(provider);
    const sockets = new Set<net.Socket>();
    // Stands in for the daemon: a socket at the configured path that relays to the real one.
    const relay = net.createServer((client) => {
      const upstream = net.connect(SOCKET);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    try {
      await provider.start(sink);
      assert.equal(sink.failures.length, 1);
      assert.equal(sink.failures[0]!.code, 'SY_ERR_PROVIDER');
      assert.match(sink.failures[0]!.message, new RegExp(`unix://${socketPath}.*does not exist`));
      assert.equal(sink.snapshots.length, 0, 'nothing is published while the daemon is away');

      await new Promise<void>((resolve) => relay.listen(socketPath, resolve));
      await sink.until('a snapshot after reconnecting', () => sink.snapshots.length > 0);
      assert.equal(sink.failures.length, 1, 'one outage is reported once, however many retries');

      // The daemon going away again (its event stream ends) is another outage.
      relay.close();
      for (const socket of sockets) socket.destroy();
      await sink.until('a second failure', () => sink.failures.length === 2);
      assert.match(sink.failures[1]!.message, /lost the Docker daemon/);
    } finally {
      await provider.stop();
      relay.close();
      for (const socket of sockets) socket.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
