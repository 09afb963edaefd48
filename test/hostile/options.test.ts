/**
 * Entry point options of the data-plane hardening (issue #11), each on its own proxy:
 * `http.maxHeaderCount`, `http.encodedCharacters.*` and `http.sanitizePath`.
 */
import { after, before, describe, it } from 'node:test';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import {
  type ClientCase,
  type CorpusBackends,
  corpusConfig,
  request,
  resetBackends,
  runCase,
  startCorpusBackends,
  verifyCase,
} from './client-corpus.js';
import { assertProxyHealthy, freshIfCrashed } from './common.js';

/** Runs `cases` against a proxy started with `flags`. */
function suite(title: string, flags: string[], cases: ClientCase[]): void {
  describe(title, () => {
    let backends: CorpusBackends;
    let proxy: ChildProxy | undefined;

    before(async () => {
      backends = await startCorpusBackends();
      proxy = await startChildProxy(corpusConfig(backends), flags);
    });

    after(async () => {
      await proxy?.stop();
      await Promise.all([backends.A.close(), backends.B.close(), backends.C.close()]);
    });

    for (const c of cases) {
      it(c.name, { timeout: 15_000 }, async () => {
        const running = proxy as ChildProxy;
        await freshIfCrashed(running);
        resetBackends(backends);
        verifyCase(c, await runCase(running.port, c), backends);
        await assertProxyHealthy(running);
      });
    }
  });
}

const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`);

suite(
  'a configured maxHeaderCount (--entryPoints.web.http.maxHeaderCount=10)',
  ['--entryPoints.web.http.maxHeaderCount=10'],
  [
    {
      name: 'answers 431 to 12 headers, and no backend sees the request',
      steps: [request('/', headers(11))],
      client: { answer: [431] },
      backend: 'none',
    },
    {
      name: 'forwards 8 headers, all of them',
      steps: [request('/eight', [...headers(7), 'Connection: close'])],
      client: { status: 200 },
      backend: { at: 'B', target: '/eight', headers: { 'x-h0': '0', 'x-h6': '6' } },
    },
  ],
);

suite(
  'encoded slashes allowed (--entryPoints.web.http.encodedCharacters.allowEncodedSlash=true)',
  ['--entryPoints.web.http.encodedCharacters.allowEncodedSlash=true'],
  [
    {
      name: 'forwards /admin%2Fx to the admin router with %2F still encoded',
      steps: [request('/admin%2Fx', ['Connection: close'])],
      client: { status: 200 },
      backend: { at: 'A', target: '/admin%2Fx' },
    },
    {
      name: 'still rejects an encoded backslash with 400',
      steps: [request('/admin%5Cx')],
      client: { reject: [400] },
      backend: 'none',
    },
  ],
);

suite(
  'every encoded character allowed (all seven encodedCharacters options true)',
  [
    'AllowEncodedSlash',
    'AllowEncodedBackSlash',
    'AllowEncodedNullCharacter',
    'AllowEncodedSemicolon',
    'AllowEncodedPercent',
    'AllowEncodedQuestionMark',
    'AllowEncodedHash',
  ].map((option) => `--entryPoints.web.http.encodedCharacters.${option[0]?.toLowerCase()}${option.slice(1)}=true`),
  ['%2F', '%5C', '%00', '%3B', '%25', '%3F', '%23'].map((encoded) => ({
    name: `forwards /admin${encoded}x with ${encoded} untouched`,
    steps: [request(`/admin${encoded}x`, ['Connection: close'])],
    client: { status: 200 },
    backend: { at: 'A' as const, target: `/admin${encoded}x` },
  })),
);

suite(
  'path sanitizing off (--entryPoints.web.http.sanitizePath=false)',
  ['--entryPoints.web.http.sanitizePath=false'],
  [
    {
      name: 'routes /x/../admin by its raw path (to B) and forwards it unchanged',
      steps: [request('/x/../admin', ['Connection: close'])],
      client: { status: 200 },
      backend: { at: 'B', target: '/x/../admin' },
    },
    {
      name: 'forwards //admin unchanged',
      steps: [request('//admin', ['Connection: close'])],
      client: { status: 200 },
      backend: { at: 'B', target: '//admin' },
    },
  ],
);
