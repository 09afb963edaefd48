import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadFileSnapshot } from './load-files.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-load-files-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const combined = [
  'entryPoints:',
  '  web:',
  '    address: ":80"',
  'providers:',
  '  file:',
  '    filename: traefik.yml',
  'http:',
  '  routers:',
  '    r:',
  '      rule: Host(`a.test`)',
  '      service: s',
  '  services:',
  '    s:',
  '      loadBalancer:',
  '        servers: {}',
  '',
].join('\n');

describe('a file that is the static configuration too', () => {
  it('gives the file provider its dynamic sections, and says nothing of the static keys the static loader reads', async () => {
    const file = join(dir, 'traefik.yml');
    await writeFile(file, combined);
    const snapshot = await loadFileSnapshot({ filename: file, staticFile: file });
    assert.deepEqual(snapshot.issues, []);
    assert.equal(snapshot.config.http?.routers?.r?.service, 's');
    assert.deepEqual(snapshot.config.http?.services?.s?.loadBalancer?.servers, []);
    assert.equal(snapshot.origins?.['http.routers.r'], `${file}:9:5`);
  });

  it('names the static keys of a dynamic file that is not the static configuration', async () => {
    const file = join(dir, 'dynamic.yml');
    await writeFile(file, combined);
    const snapshot = await loadFileSnapshot({ filename: file });
    assert.deepEqual(
      snapshot.issues.map((i) => [i.message, i.location]),
      [
        ['entryPoints: a static configuration key, ignored in a dynamic configuration file', `${file}:1:1`],
        ['providers: a static configuration key, ignored in a dynamic configuration file', `${file}:4:1`],
      ],
    );
  });
});
