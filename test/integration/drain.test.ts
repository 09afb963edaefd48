import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { ServerDrains } from '../../src/balancer/drain.js';
import { type Backend, startBackend } from '../helpers/backends.js';
import { send, waitFor } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

function config(urls: string[]) {
  return {
    http: {
      routers: { app: { rule: 'PathPrefix(`/`)', service: 'app', entryPoints: ['web'] } },
      services: { app: { loadBalancer: { servers: urls.map((url) => ({ url })) } } },
    },
  };
}

describe('a provider announcing a leaving server', () => {
  /** Responses the held server has not sent yet; the test releases them. */
  const held: ServerResponse[] = [];
  let leaving: Backend;
  let staying: Backend;
  let proxy: TestProxy;

  before(async () => {
    leaving = await startBackend('leaving', (_req, res) => {
      held.push(res);
    });
    staying = await startBackend('staying');
    // The grace period is the default 10 s: an answer within 5 s can only be the drainer noticing.
    proxy = await startProxy(config([leaving.url]));
  });

  after(async () => {
    await proxy.stop();
    await Promise.all([leaving.close(), staying.close()]);
  });

  it('is answered as soon as the last request in flight finishes, well before the grace period', async () => {
    const first = send(`${proxy.url}/1`);
    const second = send(`${proxy.url}/2`);
    await waitFor(() => held.length === 2, { what: 'both requests to reach the leaving server' });
    await proxy.update(config([leaving.url, staying.url]));

    // What a provider holds: the narrow interface it is given at assembly.
    const drains: ServerDrains = proxy.app.drainer;
    let answered = false;
    const outcome = drains.drain(leaving.url).then((result) => {
      answered = true;
      return result;
    });
    const during = await send(`${proxy.url}/3`);
    assert.equal(during.headers['x-backend'], 'staying', 'a leaving server takes no new request');

    held.shift()?.end('one');
    assert.equal((await first).text, 'one');
    assert.equal(answered, false, 'one request is still in flight');
    const releasedAt = Date.now();
    held.shift()?.end('two');
    assert.equal((await second).text, 'two');
    const result = await outcome;
    assert.equal(result.ended, 'idle');
    assert.equal(result.inFlight, 0);
    const waited = Date.now() - releasedAt;
    assert.ok(waited < 5000, `answered ${waited} ms after the last response`);

    // The provider's snapshot without it arrives: the drained server's pooled connections close.
    await proxy.update(config([staying.url]));
    await waitFor(() => leaving.openConnections() === 0, { what: 'the drained server to be disconnected' });
    assert.equal(proxy.app.upstreams.peek(leaving.url), undefined);
  });
});
