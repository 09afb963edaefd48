import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigParseError, ProviderError, type SwitchyardError } from '../../errors.js';
import type { ProviderSink, ProviderSnapshot } from '../provider.js';
import { FileProvider } from './file-provider.js';

/** A sink that records what it receives, in order. */
class RecordingSink implements ProviderSink {
  readonly events: ({ kind: 'publish'; snapshot: ProviderSnapshot } | { kind: 'fail'; error: SwitchyardError })[] = [];
  publish(snapshot: ProviderSnapshot): void {
    this.events.push({ kind: 'publish', snapshot });
  }
  fail(error: SwitchyardError): void {
    this.events.push({ kind: 'fail', error });
  }
  get published(): ProviderSnapshot[] {
    return this.events.flatMap((e) => (e.kind === 'publish' ? [e.snapshot] : []));
  }
}

/** Polls `check` until it returns true or the deadline passes. */
async function eventually(check: () => boolean, what: string, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function routerYaml(name: string, rule: string): string {
  return `http:\n  routers:\n    ${name}:\n      rule: "${rule}"\n      service: svc\n`;
}

let root: string;
let counter = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-file-provider-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  return mkdtemp(join(root, `case-${counter++}-`));
}

describe('FileProvider', () => {
  it('publishes the configuration of one file on start', async () => {
    const dir = await freshDir();
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, routerYaml('api', 'PathPrefix(`/api`)'));
    const provider = new FileProvider({ filename: file });
    const sink = new RecordingSink();
    await provider.start(sink);
    await provider.stop();
    assert.equal(provider.name, 'file');
    assert.equal(sink.events.length, 1);
    const snapshot = sink.published[0] as ProviderSnapshot;
    assert.equal(snapshot.provider, 'file');
    assert.equal(snapshot.config.http?.routers?.api?.rule, 'PathPrefix(`/api`)');
    assert.deepEqual(snapshot.issues, []);
  });

  it('reloads within a second of a save, including an editor-style rename', async () => {
    const dir = await freshDir();
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, routerYaml('api', 'Path(`/one`)'));
    const provider = new FileProvider({ filename: file, watch: true });
    const sink = new RecordingSink();
    try {
      await provider.start(sink);
      assert.equal(sink.published.length, 1);

      await writeFile(file, routerYaml('api', 'Path(`/two`)'));
      await eventually(
        () => sink.published.at(-1)?.config.http?.routers?.api?.rule === 'Path(`/two`)',
        'a reload after writeFile',
      );

      const temp = join(dir, '.dynamic.yml.swp');
      await writeFile(temp, routerYaml('api', 'Path(`/three`)'));
      await rename(temp, file);
      await eventually(
        () => sink.published.at(-1)?.config.http?.routers?.api?.rule === 'Path(`/three`)',
        'a reload after rename',
      );
    } finally {
      await provider.stop();
    }
  });

  it('fails with file:line:column on a broken save, keeps quiet, then publishes the fixed save', async () => {
    const dir = await freshDir();
    const file = join(dir, 'dynamic.yaml');
    await writeFile(file, routerYaml('api', 'Path(`/good`)'));
    const provider = new FileProvider({ filename: file, watch: true });
    const sink = new RecordingSink();
    try {
      await provider.start(sink);
      await writeFile(file, 'http:\n  routers: {api: [\n');
      await eventually(() => sink.events.at(-1)?.kind === 'fail', 'a failure after a broken save');
      const failure = sink.events.at(-1) as { kind: 'fail'; error: SwitchyardError };
      assert.ok(failure.error instanceof ConfigParseError);
      assert.match(failure.error.location ?? '', new RegExp(`^${file}:\\d+:\\d+$`));
      assert.equal(sink.published.length, 1, 'nothing is published for a broken file');

      await writeFile(file, routerYaml('api', 'Path(`/fixed`)'));
      await eventually(() => sink.events.at(-1)?.kind === 'publish', 'a publish after the fix');
      assert.equal(sink.published.at(-1)?.config.http?.routers?.api?.rule, 'Path(`/fixed`)');
    } finally {
      await provider.stop();
    }
  });

  it('merges every configuration file of a directory, keeping the first of two same-named objects', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'a-routers.yml'), routerYaml('api', 'Path(`/from-a`)'));
    await writeFile(
      join(dir, 'b-services.toml'),
      '[http.routers.api]\nrule = "Path(`/from-b`)"\n\n[[http.services.svc.loadBalancer.servers]]\nurl = "http://127.0.0.1:3000"\n',
    );
    await writeFile(join(dir, 'c-bad.yaml'), 'http:\n  routers:\n    broken:\n      priority: high\n');
    await writeFile(join(dir, 'notes.txt'), 'not configuration');
    const provider = new FileProvider({ directory: dir });
    const sink = new RecordingSink();
    await provider.start(sink);
    await provider.stop();
    const snapshot = sink.published[0] as ProviderSnapshot;
    assert.equal(snapshot.config.http?.routers?.api?.rule, 'Path(`/from-a`)');
    assert.equal(snapshot.config.http?.services?.svc?.loadBalancer?.servers?.[0]?.url, 'http://127.0.0.1:3000');
    const byPath = new Map(snapshot.issues.map((i) => [i.path.join('.'), i]));
    const duplicate = byPath.get('http.routers.api');
    assert.equal(duplicate?.severity, 'warning');
    assert.equal(duplicate?.location, `${join(dir, 'b-services.toml')}:1:1`);
    assert.equal(byPath.get('http.routers.broken')?.location, `${join(dir, 'c-bad.yaml')}:4:7`);
  });

  it('merges the tcp, udp and tls sections of a directory by name as well, and concatenates certificates', async () => {
    const dir = await freshDir();
    await writeFile(
      join(dir, 'a.yml'),
      'tcp:\n  routers:\n    db: { rule: "HostSNI(`a`)" }\ntls:\n  certificates:\n    - { certFile: a.crt, keyFile: a.key }\n',
    );
    await writeFile(
      join(dir, 'b.yml'),
      'tcp:\n  routers:\n    db: { rule: "HostSNI(`b`)" }\n    cache: { rule: "HostSNI(`c`)" }\nudp:\n  services:\n    dns: { loadBalancer: {} }\ntls:\n  certificates:\n    - { certFile: b.crt, keyFile: b.key }\n',
    );
    const provider = new FileProvider({ directory: dir });
    const sink = new RecordingSink();
    await provider.start(sink);
    await provider.stop();
    const snapshot = sink.published[0] as ProviderSnapshot;
    assert.deepEqual(snapshot.config.tcp?.routers, { db: { rule: 'HostSNI(`a`)' }, cache: { rule: 'HostSNI(`c`)' } });
    assert.deepEqual(Object.keys(snapshot.config.udp?.services ?? {}), ['dns']);
    assert.deepEqual(
      snapshot.config.tls?.certificates?.map((c) => c.certFile),
      ['a.crt', 'b.crt'],
    );
    const duplicate = snapshot.issues.find((i) => i.path.join('.') === 'tcp.routers.db');
    assert.match(duplicate?.message ?? '', /^TCP router "db" is also defined in /);
  });

  it('reloads a watched directory when a file is added', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'one.yml'), routerYaml('one', 'Path(`/1`)'));
    const provider = new FileProvider({ directory: dir, watch: true });
    const sink = new RecordingSink();
    try {
      await provider.start(sink);
      await writeFile(join(dir, 'two.toml'), '[http.routers.two]\nrule = "Path(`/2`)"\n');
      await eventually(() => sink.published.at(-1)?.config.http?.routers?.two !== undefined, 'the new file');
      assert.ok(sink.published.at(-1)?.config.http?.routers?.one);
    } finally {
      await provider.stop();
    }
  });

  it('reports a missing file with fail() and publishes nothing after stop()', async () => {
    const dir = await freshDir();
    const file = join(dir, 'missing.yml');
    const provider = new FileProvider({ filename: file, watch: true, debounceMs: 10 });
    const sink = new RecordingSink();
    await provider.start(sink);
    assert.equal(sink.events.length, 1);
    assert.ok((sink.events[0] as { error: SwitchyardError }).error instanceof ProviderError);
    await provider.stop();
    await writeFile(file, routerYaml('late', 'Path(`/`)'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sink.published.length, 0);
  });

  it('reads the source again on reload() and survives a sink that throws', async () => {
    const dir = await freshDir();
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, routerYaml('api', 'Path(`/a`)'));
    const provider = new FileProvider({ filename: file });
    let calls = 0;
    await provider.start({
      publish() {
        calls++;
        throw new Error('sink exploded');
      },
      fail() {},
    });
    await provider.reload();
    await provider.stop();
    assert.equal(calls, 2);
  });
});
