import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../helpers/backends.js';
import { runCli, startCli } from '../helpers/cli.js';
import { send, waitFor } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

describe('the switchyard command', () => {
  let dir: string;
  let slow: Backend;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
    slow = await startBackend('slow', (_req, res) => {
      setTimeout(() => res.end('finished'), 500);
    });
  });

  after(async () => {
    await slow.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('check prints each error with its file position and exits 1', async () => {
    const file = join(dir, 'broken.yml');
    await writeFile(
      file,
      [
        'http:',
        '  routers:',
        '    good:',
        '      rule: "PathPrefix(`/`)"',
        '      service: app',
        '    bad:',
        '      rule: "Path(`/x`) &&"',
        '      service: app',
        '    orphan:',
        '      rule: "Path(`/y`)"',
        '      service: missing',
        '  services:',
        '    app:',
        '      loadBalancer:',
        '        servers:',
        '          - url: http://127.0.0.1:1',
        '        passHostHeader: maybe',
        '',
      ].join('\n'),
    );
    const result = await runCli(['check', '--entryPoints.web.address=:0', file], { cwd: dir });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /broken\.yml:17:\d+/);
    assert.match(result.stdout, /bad@file.*position/);
    assert.match(result.stdout, /orphan@file.*missing@file/);
  });

  it('check exits 0 on a valid configuration', async () => {
    const file = join(dir, 'good.yml');
    await writeFile(
      file,
      'http:\n  routers:\n    r:\n      rule: "Host(`a.test`)"\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n',
    );
    const result = await runCli(['check', '--entryPoints.web.address=:0', file], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /0 errors/);
  });

  it('check names each key Switchyard does not implement and exits 0; check --strict exits 1', async () => {
    const staticFile = join(dir, 'traefik.yml');
    const dynamicFile = join(dir, 'unimplemented.yml');
    await writeFile(
      staticFile,
      [
        'entryPoints:',
        '  web:',
        '    address: ":0"',
        '    proxyProtocol:',
        '      insecure: true',
        '    http:',
        '      redirections:',
        '        entryPoint: { to: websecure }',
        'certificatesResolvers:',
        '  le: { acme: { email: a@b.test, tlsChallenge: {} } }',
        'providers:',
        `  file: { filename: ${JSON.stringify(dynamicFile)} }`,
        '  swarm: { endpoint: "tcp://127.0.0.1:2377" }',
        'api:',
        '  basePath: /traefik',
        '',
      ].join('\n'),
    );
    await writeFile(
      dynamicFile,
      [
        'http:',
        '  routers:',
        '    app:',
        '      rule: "Host(`a.test`)"',
        '      service: app',
        '      observability: { accessLogs: false }',
        '  services:',
        '    app: { loadBalancer: { servers: [{ url: "http://127.0.0.1:1" }] } }',
        'tcp:',
        '  routers:',
        '    db: { rule: "HostSNI(`*`)", service: db }',
        '  services:',
        '    db: { loadBalancer: { servers: [{ address: "127.0.0.1:5432" }] } }',
        'udp:',
        '  routers:',
        '    dns: { service: dns }',
        'tls:',
        '  options:',
        '    modern: { minVersion: VersionTLS13 }',
        '',
      ].join('\n'),
    );
    const plain = await runCli(['check', '--configFile', staticFile], { cwd: dir });
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    for (const key of [
      'entryPoints.web.proxyProtocol',
      'entryPoints.web.http.redirections',
      'certificatesResolvers',
      'providers.swarm',
      'api.basePath',
      'http.routers.app.observability',
      'tcp.routers.db',
      'tcp.services.db',
      'udp.routers.dns',
      'tls.options.modern',
    ]) {
      assert.ok(plain.stdout.includes(key), `check does not name ${key}:\n${plain.stdout}`);
    }
    assert.match(plain.stdout, /0 errors, \d+ warning\(s\)/);
    const strict = await runCli(['check', '--strict', '--configFile', staticFile], { cwd: dir });
    assert.equal(strict.code, 1, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /--strict: warnings fail the check/);
  });

  it('explain names the matching router and why a higher-priority one did not match', async () => {
    const file = join(dir, 'explain.yml');
    await writeFile(
      file,
      [
        'http:',
        '  routers:',
        '    api:',
        '      rule: "Host(`shop.test`) && PathPrefix(`/api`)"',
        '      service: api',
        '      middlewares: [strip]',
        '    site:',
        '      rule: "PathPrefix(`/`)"',
        '      service: api',
        '  middlewares:',
        '    strip:',
        '      stripPrefix:',
        '        prefixes: [/api]',
        '  services:',
        '    api:',
        '      loadBalancer:',
        '        servers:',
        '          - url: http://127.0.0.1:3000',
        '',
      ].join('\n'),
    );
    const result = await runCli(['explain', '--entryPoints.web.address=:8000', 'http://other.test:8000/api/x', file], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /✖ api@file/);
    assert.match(result.stdout, /Host\(`shop\.test`\)/);
    assert.match(result.stdout, /✔ .*site@file/);
    assert.match(result.stdout, /http:\/\/127\.0\.0\.1:3000/);

    // A file that does not load is named before the verdict, with its position.
    const broken = join(dir, 'broken.yml');
    await writeFile(broken, 'http:\n  routers: {a: 1\n');
    const withBroken = await runCli(
      ['explain', '--entryPoints.web.address=:8000', 'http://other.test:8000/api/x', file, broken],
      { cwd: dir },
    );
    assert.equal(withBroken.code, 0, withBroken.stdout + withBroken.stderr);
    assert.match(withBroken.stdout, /not loaded: .*broken\.yml:\d+:\d+/);
    assert.match(withBroken.stdout, /✔ .*site@file/);
  });

  it('drains a request in flight on SIGTERM and exits 0', async () => {
    const port = await freePort();
    const file = join(dir, 'run.yml');
    await writeFile(
      file,
      `http:\n  routers:\n    r:\n      rule: "PathPrefix(\`/\`)"\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: ${slow.url}\n`,
    );
    const run = startCli(
      [`--entryPoints.web.address=127.0.0.1:${port}`, `--providers.file.filename=${file}`, '--log.level=ERROR'],
      { cwd: dir },
    );
    await waitFor(() => send(`http://127.0.0.1:${port}/ready`).then((r) => r.status === 200), {
      timeout: 10_000,
      what: 'the proxy to answer',
    });
    const inFlight = send(`http://127.0.0.1:${port}/slow`);
    await waitFor(() => slow.hits >= 2, { what: 'the slow request to reach the backend' });
    run.child.kill('SIGTERM');
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.equal(response.text, 'finished');
    const { code } = await run.exited;
    assert.equal(code, 0, run.output.stderr);
  });

  it('names the port when it is already in use, and exits 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli([`--entryPoints.web.address=127.0.0.1:${port}`, '--log.level=ERROR'], { cwd: dir });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });
});
