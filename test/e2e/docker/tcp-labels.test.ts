/**
 * `traefik.tcp.*` labels on a real container: a busybox `nc` echo server labelled with a
 * ``HostSNI(`*`)`` TCP router is reached through Switchyard's TCP entry point at the container's
 * IP and exposed port (Traefik's defaults: service named after the container, server = IP:port),
 * and no default HTTP router is made for it. Skips when /var/run/docker.sock is absent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../helpers/busybox-image.js';
import { waitFor } from '../../helpers/http.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';
import { dial, exchange } from '../../helpers/tcp.js';

const SOCKET = '/var/run/docker.sock';
const skip = existsSync(SOCKET) ? false : `no Docker engine here (${SOCKET} is absent)`;

describe('TCP labels on a real container', { skip, timeout: 120_000 }, () => {
  const docker = new Docker({ socketPath: SOCKET });
  const run = randomBytes(4).toString('hex');
  const name = `sy-e2e-${run}-echo`;
  let container: Docker.Container | undefined;
  let proxy: TestProxy | undefined;

  before(async () => {
    await ensureBusyboxImage(docker);
    container = await docker.createContainer({
      name,
      Image: BUSYBOX_IMAGE,
      // A persistent echo server: `nc -ll` accepts one connection after another, each piped to cat.
      Cmd: ['/bin/busybox', 'nc', '-ll', '-p', '7000', '-e', '/bin/busybox', 'cat'],
      ExposedPorts: { '7000/tcp': {} },
      Labels: {
        // Not a switchyard.* label: with one, the traefik.* labels would be ignored (switchyard.* wins).
        'e2e.switchyard.run': run,
        'traefik.tcp.routers.echo.rule': 'HostSNI(`*`)',
        'traefik.tcp.routers.echo.entrypoints': 'tcp',
      },
    });
    await container.start();
    proxy = await startProxy({}, [
      '--providers.docker=true',
      `--providers.docker.constraints=Label(\`e2e.switchyard.run\`, \`${run}\`)`,
      '--entryPoints.tcp.address=127.0.0.1:0',
    ]);
  });

  after(async () => {
    await proxy?.stop(100);
    await container?.remove({ force: true }).catch(() => {});
  });

  test('the labelled container answers through the TCP entry point, at its IP and exposed port', async () => {
    const app = proxy?.app;
    assert.ok(app);
    const inspected = await (container as Docker.Container).inspect();
    const ip = Object.values(inspected.NetworkSettings.Networks)[0]?.IPAddress;
    assert.ok(ip, 'the container has an IP address');
    await waitFor(async () => app.runtime.tcp.routers.get('echo@docker')?.status === 'enabled', {
      what: 'the TCP router from the labels',
      timeout: 15_000,
    });
    assert.deepEqual(app.runtime.tcp.services.get(`${name}@docker`)?.config, {
      loadBalancer: { servers: [{ address: `${ip}:7000` }] },
    });
    assert.equal(app.runtime.routers.get(`${name}@docker`), undefined, 'no default HTTP router');
    const port = app.entryPoints.get('tcp')?.port ?? 0;
    // nc may take a moment to listen after the container starts.
    const answer = await waitFor(
      async () => {
        const socket = await dial(port);
        try {
          const echoed = await exchange(socket, `ping-${run}`);
          return echoed === `ping-${run}` ? echoed : undefined;
        } finally {
          socket.destroy();
        }
      },
      { what: 'an echo through the TCP router', timeout: 15_000 },
    );
    assert.equal(answer, `ping-${run}`);
  });
});
