import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigParseError } from '../errors.js';
import { parseDynamicFile, validateDynamicConfiguration } from './dynamic-validate.js';

describe('dynamic configuration validation', () => {
  it('keeps the good objects and drops a bad one with an issue naming the field', () => {
    const { config, issues } = validateDynamicConfiguration({
      http: {
        routers: {
          good: { rule: 'Path(`/`)', service: 'svc' },
          bad: { rule: 42, service: 'svc' },
        },
        services: {
          svc: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:3000' }] } },
          empty: {},
        },
        middlewares: { strip: { stripPrefix: { prefixes: ['/api'] } }, twoTypes: { a: {}, b: {} } },
      },
    });
    assert.deepEqual(Object.keys(config.http?.routers ?? {}), ['good']);
    assert.deepEqual(Object.keys(config.http?.services ?? {}), ['svc']);
    assert.deepEqual(Object.keys(config.http?.middlewares ?? {}), ['strip']);
    const byPath = new Map(issues.map((i) => [i.path.join('.'), i]));
    assert.match(byPath.get('http.routers.bad')?.message ?? '', /^router "bad": rule: /);
    assert.equal(byPath.get('http.routers.bad')?.severity, 'error');
    assert.match(byPath.get('http.services.empty')?.message ?? '', /exactly one of loadBalancer/);
    assert.match(byPath.get('http.middlewares.twoTypes')?.message ?? '', /exactly one type/);
    assert.ok(Object.isFrozen(config.http?.routers?.good));
  });

  it('reads keys in any case and passes the locator the offending path', () => {
    const seen: (string | number)[][] = [];
    const { config, issues } = validateDynamicConfiguration(
      { HTTP: { Routers: { a: { RULE: 'Path(`/`)', Priority: 'high' } } } },
      {
        locate: (path) => {
          seen.push(path);
          return 'here:1:1';
        },
      },
    );
    assert.deepEqual(config.http?.routers, {});
    assert.deepEqual(seen[0], ['http', 'routers', 'a', 'priority']);
    assert.equal(issues[0]?.location, 'here:1:1');
  });

  it('reports a section that is not a mapping and unknown keys as warnings', () => {
    const { config, issues } = validateDynamicConfiguration({ http: { routers: 'nope', routerz: {} } });
    assert.deepEqual(config, { http: {} });
    assert.deepEqual(
      issues.map((i) => [i.path.join('.'), i.severity]),
      [
        ['http.routerz', 'warning'],
        ['http.routers', 'error'],
      ],
    );
  });

  it('treats an empty document as an empty configuration', () => {
    assert.deepEqual(validateDynamicConfiguration(null), { config: {}, issues: [] });
    assert.deepEqual(parseDynamicFile('', 'empty.yml'), { config: {}, issues: [] });
  });
});

describe('dynamic configuration files', () => {
  it('locates a YAML validation issue at the offending key', () => {
    const text =
      'http:\n  routers:\n    ok:\n      rule: "Path(`/`)"\n    bad:\n      rule: "Path(`/`)"\n      priority: soon\n';
    const { config, issues } = parseDynamicFile(text, '/etc/dyn.yml');
    assert.ok(config.http?.routers?.ok);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.location, '/etc/dyn.yml:7:7');
    assert.deepEqual(issues[0]?.path, ['http', 'routers', 'bad']);
  });

  it('locates a TOML validation issue at its key or table header', () => {
    const text = '[http.routers.ok]\nrule = "Path(`/`)"\n\n[http.routers.bad]\n  rule = 12\n\n[http.services.s]\n';
    const { issues } = parseDynamicFile(text, 'dyn.toml');
    const byPath = new Map(issues.map((i) => [i.path.join('.'), i.location]));
    assert.equal(byPath.get('http.routers.bad'), 'dyn.toml:5:3');
    assert.equal(byPath.get('http.services.s'), 'dyn.toml:7:1');
  });

  it('throws ConfigParseError with file:line:column on syntax errors', () => {
    assert.throws(
      () => parseDynamicFile('http:\n  routers: {a: 1\n', 'broken.yaml'),
      (error: unknown) => error instanceof ConfigParseError && /^broken\.yaml:\d+:\d+$/.test(error.location ?? ''),
    );
    assert.throws(
      () => parseDynamicFile('[http.routers.a]\nrule = "unterminated\n', 'broken.toml'),
      (error: unknown) => error instanceof ConfigParseError && /^broken\.toml:2:\d+$/.test(error.location ?? ''),
    );
    assert.throws(() => parseDynamicFile('a: 1', 'conf.json'), ConfigParseError);
  });
});

describe('dynamic integer values', () => {
  it('refuses an empty or non-numeric weight instead of reading it as 0', () => {
    for (const weight of ['', ' ', 'abc', '1.5', -1]) {
      const { config, issues } = validateDynamicConfiguration({
        http: { services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1', weight }] } } } },
      });
      assert.equal(config.http?.services?.s, undefined, `weight ${JSON.stringify(weight)} disables the service`);
      assert.match(issues[0]?.message ?? '', /weight: expected an integer ≥ 0/);
    }
  });

  it('accepts integers given as numbers or as strings (labels)', () => {
    const { config, issues } = validateDynamicConfiguration({
      http: { services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1', weight: '3' }] } } } },
    });
    assert.deepEqual(issues, []);
    assert.equal(config.http?.services?.s?.loadBalancer?.servers?.[0]?.weight, 3);
  });
});

describe('empty server lists and foreign root keys', () => {
  it("reads `servers: {}`, `servers:` and an empty TOML servers table as no server (the FAQ's always-503 service)", () => {
    for (const [text, name] of [
      ['http:\n  services:\n    down:\n      loadBalancer:\n        servers: {}\n', 'a.yml'],
      ['http:\n  services:\n    down:\n      loadBalancer:\n        servers:\n', 'b.yml'],
      ['[http.services.down.loadBalancer.servers]\n', 'c.toml'],
    ] as const) {
      const { config, issues } = parseDynamicFile(text, name);
      assert.deepEqual(issues, [], name);
      assert.deepEqual(config.http?.services?.down?.loadBalancer?.servers, [], name);
    }
  });

  it('names static keys found in a dynamic file, unless the file is the static configuration file too', () => {
    const raw = { entryPoints: { web: { address: ':80' } }, serverTransport: {}, http: {} };
    const warned = validateDynamicConfiguration(raw, { locate: (path) => `d.yml:${path.join('.')}` });
    assert.deepEqual(
      warned.issues.map((i) => [i.message, i.location]),
      [
        ['entryPoints: a static configuration key, ignored in a dynamic configuration file', 'd.yml:entryPoints'],
        ['serverTransport: unknown key or not supported by Switchyard, ignored', 'd.yml:serverTransport'],
      ],
    );
    assert.deepEqual(validateDynamicConfiguration(raw, { staticRoots: 'ignore' }).issues, []);
  });

  it("states a syntax error's position once, in front of the message", () => {
    assert.throws(
      () => parseDynamicFile('http:\n  routers:\n    r: {rule: "Host(`a`)", x: [}\n', 'twice.yml'),
      (error: unknown) =>
        error instanceof ConfigParseError && /^twice\.yml:3:\d+: [^:]+$/.test(error.message.split('\n')[0] as string),
    );
  });
});
