/**
 * HTTP/2 with the tools people use (suite `http2`, needs Debian's `curl` and `nghttp2-client`):
 * curl with prior knowledge and with `--http2` on a plaintext entry point, nghttp, and a short
 * h2load run whose every request must succeed. Real Switchyard in process, real backends.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type Backend, startBackend } from '../../helpers/backends.js';
import { startProxy, type TestProxy } from '../../helpers/proxy.js';

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('HTTP/2 with curl, nghttp and h2load (h2c)', () => {
  let backend: Backend;
  let proxy: TestProxy;

  before(async () => {
    backend = await startBackend('app');
    proxy = await startProxy({
      http: {
        routers: { app: { rule: 'PathPrefix(`/`)', service: 'app' } },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    });
  });

  after(async () => {
    await proxy.stop();
    await backend.close();
  });

  it('answers curl --http2-prior-knowledge over HTTP/2', async () => {
    const { code, stdout, stderr } = await run('curl', [
      '-sS',
      '--http2-prior-knowledge',
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `${proxy.url}/curl`,
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, '2 200');
  });

  it('answers curl --http2 (which asks for an h2c upgrade) over HTTP/1.1, without the upgrade', async () => {
    const { code, stdout, stderr } = await run('curl', [
      '-sS',
      '--http2',
      '-w',
      '\n%{http_version} %{http_code}',
      `${proxy.url}/upgrade`,
    ]);
    assert.equal(code, 0, stderr);
    const [body, last] = [stdout.slice(0, stdout.lastIndexOf('\n')), stdout.slice(stdout.lastIndexOf('\n') + 1)];
    assert.equal(last, '1.1 200');
    const echoed = JSON.parse(body);
    assert.equal(echoed.headers.upgrade, undefined);
    assert.equal(echoed.headers['http2-settings'], undefined);
  });

  it('posts a body with curl over HTTP/2 and gets it echoed', async () => {
    const { code, stdout, stderr } = await run('curl', [
      '-sS',
      '--http2-prior-knowledge',
      '--data-binary',
      'hello from curl',
      `${proxy.url}/post`,
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(JSON.parse(stdout).body, 'hello from curl');
  });

  it('serves nghttp, several streams on one connection', async () => {
    const { code, stdout, stderr } = await run('nghttp', [
      '-n',
      '-s',
      `${proxy.url}/a`,
      `${proxy.url}/b`,
      `${proxy.url}/c`,
    ]);
    assert.equal(code, 0, stderr);
    // nghttp -s prints one statistics line per request (":path" among them).
    for (const path of ['/a', '/b', '/c']) assert.match(stdout, new RegExp(`${path}\\b`));
  });

  it('completes every request of a short h2load run (-c10 -m10 -n2000)', async () => {
    const { code, stdout, stderr } = await run('h2load', ['-c10', '-m10', '-n2000', `${proxy.url}/load`]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed/);
    assert.match(stdout, /status codes: 2000 2xx/);
  });
});
