import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, ConfigParseError } from '../errors.js';
import { parseAddress } from './address.js';
import { loadStaticConfiguration } from './static-loader.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-static-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh empty directory inside the test's temp dir. */
async function freshDir(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  return path;
}

function load(args: string[], env: Record<string, string> = {}, cwd = dir, searchDirs: string[] = []) {
  return loadStaticConfiguration({ args, env, cwd, searchDirs });
}

describe('static configuration sources', () => {
  it('uses defaults and creates the http entry point on :80 when nothing is configured', async () => {
    const { config, source } = await load([]);
    assert.equal(source.kind, 'defaults');
    assert.deepEqual(Object.keys(config.entryPoints), ['http']);
    assert.equal(config.entryPoints.http?.address, ':80');
    assert.equal(config.entryPoints.http?.transport.respondingTimeouts.readTimeout, 60_000);
    assert.equal(config.entryPoints.http?.transport.respondingTimeouts.idleTimeout, 180_000);
    assert.equal(config.entryPoints.http?.transport.respondingTimeouts.writeTimeout, 0);
    assert.equal(config.log.level, 'INFO');
    assert.equal(config.providers.providersThrottleDuration, undefined);
    assert.equal(config.workers, 1);
    assert.equal(config.api, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.entryPoints.http));
  });

  it('reads dotted flags case-insensitively, with = or a separate value', async () => {
    const { config, source, rest } = await load([
      'up',
      '--entrypoints.web.address',
      ':8000',
      '--entryPoints.Admin.address=127.0.0.1:9000',
      '--ENTRYPOINTS.web.forwardedHeaders.trustedips=10.0.0.1,10.0.0.2',
      'compose.yml',
    ]);
    assert.equal(source.kind, 'flags');
    assert.deepEqual(rest, ['up', 'compose.yml']);
    assert.equal(config.entryPoints.web?.address, ':8000');
    assert.equal(config.entryPoints.Admin?.address, '127.0.0.1:9000');
    assert.deepEqual(config.entryPoints.web?.forwardedHeaders.trustedIPs, ['10.0.0.1', '10.0.0.2']);
  });

  it('treats a bare section flag as enabling it with defaults without eating the next argument', async () => {
    const { config, rest } = await load([
      '--providers.docker',
      'up',
      '--api',
      '--ping',
      '--accesslog',
      '--metrics.prometheus',
    ]);
    assert.deepEqual(rest, ['up']);
    assert.equal(config.providers.docker?.exposedByDefault, true);
    assert.equal(config.providers.docker?.defaultRule, 'Host(`{{ normalize .Name }}`)');
    assert.equal(config.providers.docker?.watch, true);
    assert.equal(config.api?.dashboard, true);
    assert.equal(config.ping?.entryPoint, 'traefik');
    assert.equal(config.accessLog?.format, 'common');
    assert.deepEqual(config.metrics.prometheus?.buckets, [0.1, 0.3, 1.2, 5]);
  });

  it('creates the traefik entry point on :8080 when api.insecure is set, beside the default http one', async () => {
    const { config } = await load(['--api.insecure']);
    assert.equal(config.api?.insecure, true);
    assert.equal(config.entryPoints.traefik?.address, ':8080');
    assert.equal(config.entryPoints.http?.address, ':80');
  });

  it('does not create the default http entry point when the user defines one', async () => {
    const { config } = await load(['--api.insecure=true', '--entrypoints.web.address=:8000']);
    assert.deepEqual(Object.keys(config.entryPoints).sort(), ['traefik', 'web']);
  });

  it('reads SWITCHYARD_ and TRAEFIK_ variables, lower-casing names, SWITCHYARD_ winning', async () => {
    const { config, source } = await load([], {
      TRAEFIK_ENTRYPOINTS_WEB_ADDRESS: ':7000',
      SWITCHYARD_ENTRYPOINTS_WEB_ADDRESS: ':8000',
      TRAEFIK_API_INSECURE: 'true',
      SWITCHYARD_PROVIDERS_DOCKER: 'true',
      SWITCHYARD_UNRELATED_THING: 'x',
      PATH: '/usr/bin',
    });
    assert.equal(source.kind, 'env');
    assert.equal(config.entryPoints.web?.address, ':8000');
    assert.equal(config.api?.insecure, true);
    assert.ok(config.providers.docker);
  });

  it('uses flags over environment variables, like Traefik, and says so', async () => {
    const { config, source, warnings } = await load(['--entrypoints.web.address=:1'], {
      SWITCHYARD_ENTRYPOINTS_WEB_ADDRESS: ':2',
    });
    assert.equal(source.kind, 'flags');
    assert.equal(config.entryPoints.web?.address, ':1');
    assert.match(warnings.join('\n'), /environment variables are ignored/);
  });

  it('finds switchyard.yml in the working directory and ignores flags then', async () => {
    const cwd = await freshDir('yaml-cwd');
    await writeFile(
      join(cwd, 'switchyard.yml'),
      'entrypoints:\n  web:\n    address: ":8000"\n    transport:\n      respondingTimeouts:\n        readTimeout: 5s\napi:\n  Insecure: true\nproviders:\n  docker: {}\n  file:\n    directory: ./dynamic\nping:\nlog:\n  level: debug\nworkers: auto\n',
    );
    const { config, source, warnings } = await load(['--entrypoints.other.address=:1'], {}, cwd, [cwd]);
    assert.deepEqual(source, { kind: 'file', path: join(cwd, 'switchyard.yml') });
    assert.deepEqual(Object.keys(config.entryPoints).sort(), ['traefik', 'web']);
    assert.equal(config.entryPoints.web?.transport.respondingTimeouts.readTimeout, 5000);
    assert.equal(config.api?.insecure, true);
    assert.equal(config.providers.file?.watch, true);
    assert.equal(config.ping?.entryPoint, 'traefik');
    assert.equal(config.log.level, 'DEBUG');
    assert.equal(config.workers, 'auto');
    assert.match(warnings.join('\n'), /flags are ignored/);
  });

  it('reads a TOML file given with --configFile, and accepts Traefik-only sections with a warning', async () => {
    const file = join(dir, 'traefik.toml');
    await writeFile(
      file,
      '[entryPoints.web]\naddress = ":8000"\n[entryPoints.web.http.redirections.entryPoint]\nto = "websecure"\n[certificatesResolvers.le.acme]\nemail = "a@b.c"\nprofile = "tlsserver"\n[certificatesResolvers.le.acme.tlsChallenge]\n[accessLog]\nformat = "json"\n[accessLog.filters]\nstatusCodes = ["400-499"]\n',
    );
    const { config, source, warnings, rest } = await load(['--configFile', file, 'run']);
    assert.equal(source.kind, 'file');
    assert.deepEqual(rest, ['run']);
    assert.equal(config.entryPoints.web?.address, ':8000');
    assert.equal(config.accessLog?.format, 'json');
    assert.deepEqual(config.accessLog?.filters.statusCodes, ['400-499']);
    assert.match(warnings.join('\n'), /certificatesResolvers\.le\.acme\.profile: not supported/);
    assert.equal(config.entryPoints.web?.http.redirections?.entryPoint?.to, 'websecure');
  });

  it('searches the directories in order and prefers yml over toml in one directory', async () => {
    const first = await freshDir('search-1');
    const second = await freshDir('search-2');
    await writeFile(join(second, 'switchyard.yml'), 'entryPoints: {a: {address: ":1"}}\n');
    await writeFile(join(second, 'switchyard.toml'), '[entryPoints.b]\naddress = ":2"\n');
    const { config, source } = await load([], {}, first, [first, second]);
    assert.equal(source.path, join(second, 'switchyard.yml'));
    assert.deepEqual(Object.keys(config.entryPoints), ['a']);
  });
});

describe('static configuration errors', () => {
  it('names the flag and the key path of a bad value', async () => {
    await assert.rejects(load(['--entrypoints.web.address=8000']), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /entryPoints\.web\.address: missing port/);
      assert.equal(error.location, '--entrypoints.web.address');
      return true;
    });
  });

  it('gives file:line:column for a bad type in a YAML file', async () => {
    const file = join(dir, 'bad-type.yml');
    await writeFile(
      file,
      'entryPoints:\n  web:\n    address: ":80"\n    transport:\n      respondingTimeouts:\n        idleTimeout: soon\n',
    );
    await assert.rejects(load(['--configfile', file]), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.location, `${file}:6:9`);
      assert.match(error.message, /entryPoints\.web\.transport\.respondingTimeouts\.idleTimeout: expected a duration/);
      return true;
    });
  });

  it('gives file:line:column for YAML and TOML syntax errors', async () => {
    const yml = join(dir, 'syntax.yml');
    await writeFile(yml, 'entryPoints:\n  web: [\n');
    await assert.rejects(load([`--configFile=${yml}`]), (error: unknown) => {
      assert.ok(error instanceof ConfigParseError);
      assert.match(error.location ?? '', new RegExp(`^${yml}:\\d+:\\d+$`));
      return true;
    });
    const toml = join(dir, 'syntax.toml');
    await writeFile(toml, '[entryPoints.web]\naddress = \n');
    await assert.rejects(load([`--configFile=${toml}`]), (error: unknown) => {
      assert.ok(error instanceof ConfigParseError);
      assert.equal(error.location, `${toml}:2:11`);
      return true;
    });
  });

  it('points at the TOML key of a bad value', async () => {
    const toml = join(dir, 'bad-value.toml');
    await writeFile(toml, '[log]\nlevel = "loud"\n');
    await assert.rejects(load([`--configFile=${toml}`]), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.location, `${toml}:2:1`);
      assert.match(error.message, /log\.level: expected one of/);
      return true;
    });
  });

  it('ignores a root key Traefik does not know either, as Traefik does, with a warning naming key and position', async () => {
    const file = join(dir, 'unknown.yml');
    await writeFile(file, 'entryPoints:\n  web:\n    address: ":81"\nserverTransport:\n  insecureSkipVerify: true\n');
    const { config, warnings, remarks } = await load(['--configFile', file]);
    assert.equal(config.entryPoints.web?.address, ':81');
    assert.equal(config.serversTransport.insecureSkipVerify, false);
    assert.deepEqual(warnings, [`${file}:4:1: serverTransport: not a Traefik static configuration key, ignored`]);
    assert.deepEqual(remarks[0], { key: 'serverTransport', message: warnings[0], location: `${file}:4:1` });
  });

  it('leaves dynamic sections to the file provider when it reads the static file itself, and names them otherwise', async () => {
    const cwd = await freshDir('combined');
    const dynamic = 'http:\n  routers:\n    r:\n      rule: Host(`a`)\n      service: s\ntcp: {}\n';
    const combined = join(cwd, 'traefik.yml');
    await writeFile(combined, `providers:\n  file:\n    filename: traefik.yml\n${dynamic}`);
    const own = await load(['--configFile', combined], {}, cwd);
    assert.deepEqual(own.warnings, []);
    const other = join(cwd, 'other.yml');
    await writeFile(other, `providers:\n  file:\n    filename: dynamic.yml\n${dynamic}`);
    const { warnings } = await load(['--configFile', other], {}, cwd);
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0] as string,
      /other\.yml:4:1: http: dynamic configuration in the static file, ignored: the file provider does not read this file/,
    );
    assert.match(warnings[1] as string, /other\.yml:9:1: tcp: dynamic configuration in the static file, ignored/);
  });

  it('honours global: false and reports true (Switchyard never checks for versions nor sends usage)', async () => {
    const file = join(dir, 'global.toml');
    await writeFile(file, '[global]\n  checkNewVersion = false\n  sendAnonymousUsage = true\n');
    const { warnings } = await load(['--configFile', file]);
    assert.deepEqual(warnings, [`${file}:3:3: global.sendAnonymousUsage: Switchyard sends no usage data, ignored`]);
  });

  it('reports a missing --configFile and a ping on an unknown entry point', async () => {
    await assert.rejects(load(['--configFile', join(dir, 'nope.yml')]), /not found/);
    await assert.rejects(
      load(['--ping.entrypoint=admin', '--entrypoints.web.address=:80']),
      /ping\.entryPoint: unknown entry point "admin"/,
    );
  });
});

describe('parseAddress', () => {
  it('reads Go host:port addresses', () => {
    assert.deepEqual(parseAddress(':8000'), { port: 8000 });
    assert.deepEqual(parseAddress('127.0.0.1:8000'), { host: '127.0.0.1', port: 8000 });
    assert.deepEqual(parseAddress('[::1]:8000'), { host: '::1', port: 8000 });
    assert.deepEqual(parseAddress(':0/tcp'), { port: 0 });
    assert.deepEqual(parseAddress(':53/udp'), { port: 53, protocol: 'udp' });
    assert.deepEqual(parseAddress('127.0.0.1:53/UDP'), { host: '127.0.0.1', port: 53, protocol: 'udp' });
  });

  it('rejects addresses without a valid port, bare IPv6 and unknown protocols', () => {
    for (const bad of ['8000', ':99999', ':http', '::1:80', ':53/sctp']) {
      assert.throws(() => parseAddress(bad), ConfigError, bad);
    }
  });
});
