import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

  it("check prints a syntax error's position once", async () => {
    const file = join(dir, 'syntax.yml');
    await writeFile(file, 'http:\n  routers:\n    r: {rule: "Host(`a`)", x: [}\n');
    const result = await runCli(['check', '--entryPoints.web.address=:0', file], { cwd: dir });
    assert.equal(result.code, 1);
    const line = result.stdout.split('\n').find((l) => l.includes('syntax.yml:')) ?? '';
    assert.equal(line.split('syntax.yml:3:').length, 2, line);
  });

  it('check loads a combined static and dynamic file, the file provider reading it, without warnings', async () => {
    const file = join(dir, 'combined.yml');
    await writeFile(
      file,
      'entryPoints:\n  web:\n    address: ":0"\nproviders:\n  file:\n    filename: combined.yml\nhttp:\n  routers:\n    r:\n      rule: Host(`a.test`)\n      service: down\n  services:\n    down:\n      loadBalancer:\n        servers: {}\n',
    );
    const result = await runCli(['check', '--configFile', file], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 routers, 1 services, 0 middlewares — 0 errors, 0 warning\(s\)/);
  });

  it('check builds plugin middlewares against their modules in ./plugins-local', async () => {
    const plugins = join(dir, 'plugins-local', 'src');
    await mkdir(join(plugins, 'fine'), { recursive: true });
    await writeFile(
      join(plugins, 'fine', 'index.js'),
      'export function create(next) { return (req, res) => next(req, res); }\n',
    );
    await mkdir(join(plugins, 'picky'), { recursive: true });
    await writeFile(
      join(plugins, 'picky', 'index.js'),
      'export function create(next, config) { if (!config.key) throw new Error("key is required"); return (req, res) => next(req, res); }\n',
    );
    const file = join(dir, 'plugins.yml');
    await writeFile(
      file,
      [
        'http:',
        '  routers:',
        '    r:',
        '      rule: "Host(`a.test`)"',
        '      service: s',
        '      middlewares: [ok, bad]',
        '  middlewares:',
        '    ok: { plugin: { fine: {} } }',
        '    bad: { plugin: { picky: {} } }',
        '  services:',
        '    s:',
        '      loadBalancer:',
        '        servers:',
        '          - url: http://127.0.0.1:1',
        '',
      ].join('\n'),
    );
    const flags = [
      '--experimental.localPlugins.fine.moduleName=fine',
      '--experimental.localPlugins.picky.moduleName=picky',
    ];
    const result = await runCli(['check', '--entryPoints.web.address=:0', ...flags, file], { cwd: dir });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /bad@file.*plugin "picky": key is required/);
    assert.doesNotMatch(result.stdout, /"ok@file"/);
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

  it('check builds the ACME resolvers as the proxy would: a storage it cannot use is an error naming the key; a router asking for nothing orderable is a warning', async () => {
    const file = join(dir, 'acme.yml');
    await writeFile(
      file,
      'http:\n  routers:\n    r:\n      rule: "PathPrefix(`/`)"\n      service: s\n      tls: { certResolver: le }\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n',
    );
    const resolver = ['--certificatesResolvers.le.acme.tlsChallenge=true'];
    const bad = await runCli(
      [
        'check',
        '--entryPoints.web.address=:0',
        ...resolver,
        '--certificatesResolvers.le.acme.storage=consul://127.0.0.1:8500',
        file,
      ],
      { cwd: dir },
    );
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /certificatesResolvers\.le\.acme\.storage: unsupported ACME storage "consul:/);
    const good = await runCli(
      [
        'check',
        '--entryPoints.web.address=:0',
        ...resolver,
        '--certificatesResolvers.le.acme.storage=redis://127.0.0.1:1/0',
        file,
      ],
      { cwd: dir },
    );
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /router "r@file": certificate resolver "le" needs a Host\(…\) name/);
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
        '    http:',
        '      redirections:',
        '        entryPoint: { to: websecure }',
        '  websecure:',
        '    address: ":0"',
        'certificatesResolvers:',
        '  le: { acme: { email: a@b.test, tlsChallenge: {}, profile: tlsserver } }',
        'providers:',
        `  file: { filename: ${JSON.stringify(dynamicFile)} }`,
        '  consul: { endpoints: ["127.0.0.1:8500"] }',
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
        '    db: { loadBalancer: { servers: [{ address: "127.0.0.1:5432" }], serversTransport: slow } }',
        '  serversTransports:',
        '    slow: { dialKeepAlive: 30s }',
        'udp:',
        '  routers:',
        '    dns: { service: dns }',
        '  services:',
        '    dns: { loadBalancer: { servers: [{ address: "127.0.0.1:53" }] } }',
        'tls:',
        '  options:',
        '    modern: { minVersion: VersionTLS13 }',
        '',
      ].join('\n'),
    );
    const plain = await runCli(['check', '--configFile', staticFile], { cwd: dir });
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    for (const key of [
      'certificatesResolvers.le.acme.profile',
      'providers.consul',
      'api.basePath',
      'http.routers.app.observability',
      'tcp.serversTransports.slow.dialKeepAlive',
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

  it('runs a combined static and dynamic file: the file provider reads its routes, rawdata shows no remark about it', async () => {
    const [web, api] = [await freePort(), await freePort()];
    const file = join(dir, 'combined-run.yml');
    await writeFile(
      file,
      [
        'entryPoints:',
        `  web: { address: "127.0.0.1:${web}" }`,
        `  traefik: { address: "127.0.0.1:${api}" }`,
        'api: { insecure: true }',
        'log: { level: ERROR, noColor: true }',
        'providers:',
        '  file:',
        '    filename: combined-run.yml',
        'http:',
        '  routers:',
        '    down:',
        '      rule: Path(`/down`)',
        '      service: nothing',
        '  services:',
        '    nothing:',
        '      loadBalancer:',
        '        servers: {}',
        '',
      ].join('\n'),
    );
    const run = startCli(['--configFile', file], { cwd: dir });
    try {
      await waitFor(() => send(`http://127.0.0.1:${web}/down`).then((r) => r.status === 503), {
        timeout: 10_000,
        what: "the combined file's router to answer 503 (no server)",
      });
      const rawdata = await send(`http://127.0.0.1:${api}/api/rawdata`);
      assert.deepEqual(JSON.parse(rawdata.text).issues, []);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
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
