/** Checks run after every hostile case: the proxy is alive, answers, and leaks no client socket. */
import assert from 'node:assert/strict';
import type { ChildProxy } from '../helpers/child-proxy.js';
import { waitFor } from '../helpers/http.js';
import { describeExchange, rawExchange } from '../helpers/raw-socket.js';

/** The proxy still answers a normal GET with 200, and its open client sockets return to `baseline`. */
export async function assertProxyHealthy(proxy: ChildProxy, baseline = 0, path = '/health'): Promise<void> {
  assert.ok(proxy.alive(), proxy.death() ?? 'the proxy died');
  const health = await rawExchange(proxy.port, `GET ${path} HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n`, {
    timeout: 2000,
  });
  assert.ok(proxy.alive(), proxy.death() ?? 'the proxy died');
  assert.equal(health.finals[0]?.status, 200, `a normal GET afterwards got: ${describeExchange(health)}`);
  let open = -1;
  await waitFor(
    async () => {
      open = await proxy.connections();
      return open === baseline;
    },
    { timeout: 3000, interval: 20, what: `the open client sockets to return to ${baseline}` },
  ).catch(() => assert.fail(`client sockets leaked: ${open} open, baseline ${baseline}`));
}

/** Before a case: a proxy that crashed in an earlier case is replaced, so one crash fails one case. */
export async function freshIfCrashed(proxy: ChildProxy): Promise<void> {
  await proxy.ensure();
}
