import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request, spawnApp } from '../shared/test-http.js';

const mainUrl = new URL(import.meta.url.endsWith('.ts') ? './main.ts' : './main.js', import.meta.url);

describe('dynamic API process', () => {
  it('logs one JSON start line, serves, and exits 0 on SIGTERM after finishing an in-flight request', async () => {
    const app = await spawnApp(mainUrl, { REPLICA_ID: 'proc-1' });
    try {
      assert.equal(app.startLine.replica, 'proc-1');
      assert.equal(app.startLine.level, 30);
      const inFlight = request(app.port, '/api/departures?delay=400');
      await new Promise((r) => setTimeout(r, 150));
      app.child.kill('SIGTERM');
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-served-by'], 'proc-1');
      assert.equal(await app.exited, 0);
    } finally {
      app.child.kill('SIGKILL');
    }
  });

  it('refuses to start with a malformed PORT', async () => {
    await assert.rejects(spawnApp(mainUrl, { PORT: 'eighty' }), /exited with 1/);
  });
});
