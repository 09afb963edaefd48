import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigParseError } from '../../errors.js';
import { loadConfigFile, loadFileSnapshot } from './load-files.js';
import { renderFileTemplate } from './render-template.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-file-template-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('file-provider templates', () => {
  it('renders a YAML file with range/until and env before parsing it (Traefik docs example shape)', async () => {
    process.env.SY_FILE_TEMPLATE_HOST = 'example.test';
    const file = join(root, 'routers.yml');
    await writeFile(
      file,
      [
        'http:',
        '  routers:',
        '  {{ range $i, $e := until 3 }}',
        '    router{{ $e }}:',
        '      rule: "Host(`r{{ $e }}.{{ env "SY_FILE_TEMPLATE_HOST" }}`)"',
        '      service: app',
        '  {{ end }}',
        '  services:',
        '    app:',
        '      loadBalancer:',
        '        servers:',
        '        {{- range $port := untilStep 8001 8003 1 }}',
        '          - url: "http://127.0.0.1:{{ $port }}"',
        '        {{- end }}',
      ].join('\n'),
    );
    try {
      const loaded = await loadConfigFile(file);
      assert.deepEqual(loaded.issues, []);
      const routers = loaded.config.http?.routers ?? {};
      assert.deepEqual(Object.keys(routers).sort(), ['router0', 'router1', 'router2']);
      assert.equal(routers.router1?.rule, 'Host(`r1.example.test`)');
      const servers = loaded.config.http?.services?.app?.loadBalancer?.servers ?? [];
      assert.deepEqual(
        servers.map((s) => s.url),
        ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'],
      );
      assert.match(loaded.rendered ?? '', /router2:/);
    } finally {
      delete process.env.SY_FILE_TEMPLATE_HOST;
    }
  });

  it('renders TOML the same way (Traefik fixture template_file.toml shape)', async () => {
    const file = join(root, 'routers.toml');
    await writeFile(
      file,
      '[http.routers]\n{{ range $i, $e := until 4 }}\n  [http.routers.router{{ $e }}]\n  service = "application"\n{{ end }}\n',
    );
    const snapshot = await loadFileSnapshot({ filename: file });
    assert.equal(Object.keys(snapshot.config.http?.routers ?? {}).length, 4);
  });

  it("uses Traefik's file functions: split is Go's strings.Split, normalize is the provider's", async () => {
    const { text } = await renderFileTemplate(
      '{{ range split "a,b" "," }}{{ . }};{{ end }}{{ normalize "web_app.1" }}',
      'f.yml',
    );
    assert.equal(text, 'a;b;web-app-1');
  });

  it('a file without {{ is returned as is, untouched', async () => {
    const source = 'http:\n  routers: {}\n';
    assert.deepEqual(await renderFileTemplate(source, 'f.yml'), { text: source, rendered: false });
  });

  it('a template fault is a parse error with file:line:col; a YAML error after rendering says its position is in the rendered text', async () => {
    const file = join(root, 'bad.yml');
    await writeFile(file, 'http:\n  routers:\n    r{{ foo 1 }}: {}\n');
    await assert.rejects(loadConfigFile(file), (error: unknown) => {
      assert.ok(error instanceof ConfigParseError);
      assert.equal(error.message, `${file}:3:9: function "foo" not defined`);
      return true;
    });
    await writeFile(file, 'a: {{ until 5 }}\n  b: [\n');
    await assert.rejects(loadConfigFile(file), /\(position in the rendered template\)/);
  });
});
