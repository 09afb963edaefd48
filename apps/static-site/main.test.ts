import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request, spawnApp } from '../shared/test-http.js';

const mainUrl = new URL(import.meta.url.endsWith('.ts') ? './main.ts' : './main.js', import.meta.url);

describe('static site process', () => {
  it('logs one JSON start line, serves the page, and exits 0 on SIGTERM', async () => {
    const app = await spawnApp(mainUrl, { REPLICA_ID: 'site-proc' });
    try {
      assert.equal(app.startLine.replica, 'site-proc');
      const res = await request(app.port, '/');
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-served-by'], 'site-proc');
      app.child.kill('SIGTERM');
      assert.equal(await app.exited, 0);
    } finally {
      app.child.kill('SIGKILL');
    }
  });
});
