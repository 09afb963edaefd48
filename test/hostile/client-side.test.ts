/**
 * The client-side hostile corpus (client-corpus.ts) against a Switchyard in a child process:
 * smuggling attempts, malformed heads, limits, path forms, hop-by-hop headers, pipelining,
 * upgrades. After every case the proxy must answer a normal GET and hold no leaked socket.
 */
import { after, before, describe, it } from 'node:test';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import {
  type CorpusBackends,
  clientCorpus,
  corpusConfig,
  resetBackends,
  runCase,
  startCorpusBackends,
  verifyCase,
} from './client-corpus.js';
import { assertProxyHealthy, freshIfCrashed } from './common.js';

describe('hostile clients', () => {
  let backends: CorpusBackends;
  let proxy: ChildProxy;

  before(async () => {
    backends = await startCorpusBackends();
    proxy = await startChildProxy(corpusConfig(backends));
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([backends.A.close(), backends.B.close(), backends.C.close()]);
  });

  for (const c of clientCorpus()) {
    it(c.name, { timeout: 15_000 }, async () => {
      await freshIfCrashed(proxy);
      resetBackends(backends);
      const exchange = await runCase(proxy.port, c);
      verifyCase(c, exchange, backends);
      await assertProxyHealthy(proxy);
    });
  }
});
