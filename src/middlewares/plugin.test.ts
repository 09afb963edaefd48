import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeConfig } from './plugin.js';
import { pluginEntryFile } from './plugin-host.js';

describe('plugin options and modules', () => {
  it('lays options over the defaults, matching keys case-insensitively and typing label strings', () => {
    const defaults = { headers: {}, limit: 10, enabled: false, paths: ['/a'], name: 'x', nested: { deep: 1 } };
    assert.deepEqual(
      mergeConfig(defaults, {
        Limit: '25',
        enabled: 'TRUE',
        paths: '/b, /c',
        headers: { 'X-A': '1' },
        nested: { DEEP: '2' },
        extra: 'kept',
      }),
      {
        headers: { 'X-A': '1' },
        limit: 25,
        enabled: true,
        paths: ['/b', '/c'],
        name: 'x',
        nested: { deep: 2 },
        extra: 'kept',
      },
    );
    // A string that does not fit the default's type stays a string for the plugin to refuse.
    assert.deepEqual(mergeConfig({ limit: 10 }, { limit: 'many' }), { limit: 'many' });
  });

  it('finds the entry file from package.json main, else index.js, and never outside plugins-local/src', async () => {
    const base = await mkdtemp(join(tmpdir(), 'switchyard-plugin-unit-'));
    try {
      await mkdir(join(base, 'plugins-local', 'src', 'a'), { recursive: true });
      await mkdir(join(base, 'plugins-local', 'src', 'org', 'b'), { recursive: true });
      await writeFile(join(base, 'plugins-local', 'src', 'a', 'package.json'), '{"main":"lib/main.js"}');
      assert.equal(await pluginEntryFile(base, 'a'), join(base, 'plugins-local', 'src', 'a', 'lib', 'main.js'));
      assert.equal(await pluginEntryFile(base, 'org/b'), join(base, 'plugins-local', 'src', 'org', 'b', 'index.js'));
      await assert.rejects(pluginEntryFile(base, '../../etc'), /leaves plugins-local\/src/);
      await assert.rejects(pluginEntryFile(base, '/etc'), /invalid moduleName/);
      await writeFile(join(base, 'plugins-local', 'src', 'a', 'package.json'), '{"main":"../../x.js"}');
      await assert.rejects(pluginEntryFile(base, 'a'), /leaves the plugin's folder/);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
