/**
 * Fuzzing routing by path: request targets built from segments such as `admin`, `.`, `..`,
 * `%2e`, `%2E%2e`, empty segments and `%41`, with or without a query, go over a real socket to
 * a proxy whose routers are `PathPrefix(/admin)` → A and `PathPrefix(/)` → B. Invariant: the
 * router chosen is the one the cleaned path chooses, and the backend receives exactly the
 * cleaned path and the original query. The reference cleaning, as Traefik documents it: decode
 * escapes of unreserved characters (`%2e` is `.`, `%41` is `A`; RFC 3986 §2.3) and upper-case the
 * others, merge duplicate slashes, remove dot segments (RFC 3986 §5.2.4).
 *
 * `FUZZ_RUNS` sets the number of runs (default 100); replay a failure with `FUZZ_SEED`/`FUZZ_PATH`.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type ChildProxy, startChildProxy } from '../helpers/child-proxy.js';
import { fuzzAsync, fuzzRuns } from '../helpers/fuzz.js';
import { type RecordingBackend, startRecordingBackend } from '../helpers/hostile-servers.js';

const RUNS = fuzzRuns(100);

/** RFC 3986 §5.2.4 remove_dot_segments. */
export function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '/..') {
      input = '/';
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const end = next === -1 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

/** The reference cleaning of a raw path (no query). */
export function cleanPath(raw: string): string {
  const normalized = raw.replace(/%([0-9A-Fa-f]{2})/g, (_encoded, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return removeDotSegments(normalized.replace(/\/{2,}/g, '/')) || '/';
}

/** The path the routers look at: unreserved percent-escapes decoded. */
function routingView(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (encoded, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded;
  });
}

const segment = fc.constantFrom('admin', 'x', 'y', '.', '..', '%2e', '%2E%2e', '.%2e', '', '%41', '%61dmin', 'admin2');
const target = fc
  .record({
    segments: fc.array(segment, { minLength: 1, maxLength: 7 }),
    query: fc.constantFrom('', '?a=1', '?next=/../admin', '?q=%2e%2e/x&r=//'),
  })
  .map(({ segments, query }) => ({ path: `/${segments.join('/')}`, query }));

function get(port: number, agent: Agent, path: string): Promise<{ status: number; backend: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { host: 'h.test' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: String(res.headers['x-backend']) }));
    });
    req.setTimeout(3000, () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('fuzzing routing by path', () => {
  let A: RecordingBackend;
  let B: RecordingBackend;
  let proxy: ChildProxy;

  before(async () => {
    [A, B] = await Promise.all([startRecordingBackend('A'), startRecordingBackend('B')]);
    proxy = await startChildProxy({
      http: {
        routers: {
          admin: { rule: 'PathPrefix(`/admin`)', service: 'A' },
          root: { rule: 'PathPrefix(`/`)', service: 'B' },
        },
        services: {
          A: { loadBalancer: { servers: [{ url: A.url }] } },
          B: { loadBalancer: { servers: [{ url: B.url }] } },
        },
      },
    });
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([A.close(), B.close()]);
  });

  it('the reference cleaning handles the textbook cases', () => {
    assert.equal(removeDotSegments('/a/b/c/./../../g'), '/a/g');
    assert.equal(removeDotSegments('mid/content=5/../6'), 'mid/6');
    assert.equal(cleanPath('//admin'), '/admin');
    assert.equal(cleanPath('/x/%2E%2e/admin/.'), '/admin/');
    assert.equal(cleanPath('/..'), '/');
    assert.equal(cleanPath('/%2ex/admin'), '/.x/admin');
    assert.equal(cleanPath('/%41dmin%2f'), '/Admin%2F');
  });

  it('routes every generated target as its cleaned path and forwards exactly that path and the query', {
    timeout: Math.max(60_000, RUNS * 40),
  }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await fuzzAsync(
        fc.asyncProperty(target, async ({ path, query }) => {
          A.reset();
          B.reset();
          const cleaned = cleanPath(path);
          const expected = routingView(cleaned).startsWith('/admin') ? 'A' : 'B';
          const answer = await get(proxy.port, agent, path + query);
          const seen = [...A.requests.map((r) => `A ${r.target}`), ...B.requests.map((r) => `B ${r.target}`)];
          const story = `${path + query}: cleaned ${cleaned} → ${expected}; got ${answer.status} from ${answer.backend}, backends saw ${JSON.stringify(seen)}`;
          assert.equal(answer.status, 200, story);
          assert.equal(answer.backend, expected, story);
          assert.deepEqual(seen, [`${expected} ${cleaned}${query}`], story);
        }),
        RUNS,
      );
    } finally {
      agent.destroy();
    }
  });
});
