import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HighestRandomWeight } from './hrw.js';
import { LeastTime } from './leasttime.js';
import { PowerOfTwoChoices } from './p2c.js';
import { RESPONSE_TIME_SAMPLES, ResponseTimes } from './response-times.js';
import { createStrategy, STRATEGIES } from './strategies.js';
import type { Candidate, Strategy } from './strategy.js';
import { WeightedRoundRobin } from './wrr.js';

class Server implements Candidate {
  up = true;
  inFlight = 0;
  /** Average answer time in ms (leasttime reads it). */
  averageMs = 0;
  constructor(
    readonly key: string,
    readonly weight = 1,
  ) {}
  available(): boolean {
    return this.up;
  }
  load(): number {
    return this.inFlight;
  }
  responseTime(): number {
    return this.averageMs;
  }
}

const clients = Array.from({ length: 400 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

function counts(strategy: Strategy<Server>, n: number, avoid: readonly string[] | null = null): Map<string, number> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = strategy.next(0, clients[i % clients.length] as string, avoid)?.key ?? 'none';
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

// One contract, every strategy (hono's "every router runs one suite").
for (const name of STRATEGIES.keys()) {
  describe(`strategy ${name}: the shared contract`, () => {
    it('spreads requests over every available server', () => {
      const servers = [new Server('a'), new Server('b'), new Server('c')];
      const seen = counts(createStrategy(name, servers), 600);
      assert.deepEqual([...seen.keys()].sort(), ['a', 'b', 'c']);
      for (const count of seen.values()) assert.ok(count > 100, `uneven: ${JSON.stringify([...seen])}`);
    });

    it('never picks an unavailable server or one of weight 0', () => {
      const down = new Server('down');
      down.up = false;
      const seen = counts(createStrategy(name, [down, new Server('zero', 0), new Server('ok')]), 200);
      assert.deepEqual([...seen], [['ok', 200]]);
    });

    it('returns undefined when no server is available', () => {
      const down = new Server('down');
      down.up = false;
      assert.equal(createStrategy(name, [down]).next(0, '10.0.0.1', null), undefined);
      assert.equal(createStrategy(name, []).next(0, '10.0.0.1', null), undefined);
    });

    it('avoids the servers a request already failed on while another is available', () => {
      const seen = counts(createStrategy(name, [new Server('a'), new Server('b'), new Server('c')]), 300, ['a', 'b']);
      assert.deepEqual([...seen], [['c', 300]]);
    });

    it('falls back to a failed server when it is the only one left', () => {
      const b = new Server('b');
      b.up = false;
      const seen = counts(createStrategy(name, [new Server('a'), b]), 50, ['a']);
      assert.deepEqual([...seen], [['a', 50]]);
    });

    it('follows weights: a weight-3 server gets about three times the requests', () => {
      const seen = counts(createStrategy(name, [new Server('heavy', 3), new Server('light', 1)]), 4000);
      const ratio = (seen.get('heavy') ?? 0) / (seen.get('light') ?? 1);
      assert.ok(ratio > 2.4 && ratio < 3.7, `ratio ${ratio}`);
    });
  });
}

describe('wrr', () => {
  it('alternates evenly between equal weights', () => {
    const wrr = new WeightedRoundRobin([new Server('a'), new Server('b')]);
    assert.deepEqual(
      Array.from({ length: 6 }, () => wrr.next(0, '', null)?.key),
      ['a', 'b', 'a', 'b', 'a', 'b'],
    );
  });

  it('spreads weights 3:1 smoothly as a a b a', () => {
    const wrr = new WeightedRoundRobin([new Server('a', 3), new Server('b', 1)]);
    assert.deepEqual(
      Array.from({ length: 8 }, () => wrr.next(0, '', null)?.key),
      ['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a'],
    );
  });
});

describe('p2c', () => {
  it('sends the request to the less loaded of the two servers drawn', () => {
    const idle = new Server('idle');
    const busy = new Server('busy');
    busy.inFlight = 5;
    // Whatever the draw order, the pair is {idle, busy}: idle wins every time.
    for (const r of [0, 0.3, 0.6, 0.99]) {
      const p2c = new PowerOfTwoChoices([busy, idle], () => r);
      assert.equal(p2c.next(0, '', null)?.key, 'idle');
    }
  });

  it('draws from a fixed random sequence deterministically', () => {
    const servers = [new Server('a'), new Server('b'), new Server('c')];
    servers[0]!.inFlight = 2;
    servers[1]!.inFlight = 1;
    const sequence = [0.1, 0.2, 0.9, 0.1, 0.5, 0.9];
    let i = 0;
    const p2c = new PowerOfTwoChoices(servers, () => sequence[i++ % sequence.length] as number);
    // (a, b) → b; (c, a) → c; (b, c) → c.
    assert.deepEqual(
      Array.from({ length: 3 }, () => p2c.next(0, '', null)?.key),
      ['b', 'c', 'c'],
    );
  });
});

describe('hrw', () => {
  it('sends one client to the same server every time', () => {
    const hrw = new HighestRandomWeight([new Server('a'), new Server('b'), new Server('c')]);
    const first = hrw.next(0, '192.0.2.7', null)?.key;
    for (let i = 0; i < 50; i++) assert.equal(hrw.next(0, '192.0.2.7', null)?.key, first);
  });

  it('moves only the clients of a server that goes down', () => {
    const servers = [new Server('a'), new Server('b'), new Server('c')];
    const hrw = new HighestRandomWeight(servers);
    const before = clients.map((ip) => hrw.next(0, ip, null)?.key);
    servers[1]!.up = false;
    const after = clients.map((ip) => hrw.next(0, ip, null)?.key);
    for (let i = 0; i < clients.length; i++) {
      if (before[i] !== 'b') assert.equal(after[i], before[i], `client ${clients[i]} moved`);
      else assert.notEqual(after[i], 'b');
    }
  });

  it('keeps its choices across a rebuild with the same servers', () => {
    const one = new HighestRandomWeight([new Server('a'), new Server('b')]);
    const two = new HighestRandomWeight([new Server('b'), new Server('a')]);
    for (const ip of clients.slice(0, 50)) assert.equal(one.next(0, ip, null)?.key, two.next(0, ip, null)?.key);
  });
});

describe('createStrategy', () => {
  it('names the known strategies when the name is unknown', () => {
    assert.throws(
      () => createStrategy('leastconn', []),
      /unknown load-balancing strategy "leastconn" \(supported: wrr, p2c, hrw, leasttime\)/,
    );
  });

  it('accepts names in any case', () => {
    assert.ok(createStrategy('P2C', []) instanceof PowerOfTwoChoices);
  });
});

describe('strategy leasttime', () => {
  const server = (key: string, averageMs: number, weight = 1, inFlight = 0) => {
    const s = new Server(key, weight);
    s.averageMs = averageMs;
    s.inFlight = inFlight;
    return s;
  };

  it('picks the server with the lowest average answer time', () => {
    const strategy = new LeastTime([server('slow', 20), server('fast', 5), server('mid', 10)]);
    assert.deepEqual([...counts(strategy, 50)], [['fast', 50]]);
  });

  it('scales the time by the requests in flight and divides it by the weight (Traefik: avg × (1 + in flight) / weight)', () => {
    // fast: 4 × (1 + 2) = 12 > steady: 10 × 1 = 10.
    assert.equal(new LeastTime([server('fast', 4, 1, 2), server('steady', 10)]).next(0, '', null)?.key, 'steady');
    // heavy: 10 / 2 = 5 < light: 6 / 1.
    assert.equal(new LeastTime([server('light', 6), server('heavy', 10, 2)]).next(0, '', null)?.key, 'heavy');
  });

  it('shares ties (servers never measured, or as fast) by weighted round robin', () => {
    const seen = counts(new LeastTime([server('a', 0), server('b', 0, 2)]), 300);
    // Earliest deadline first from staggered starts: within one pick of the 1:2 share.
    assert.ok(Math.abs((seen.get('a') ?? 0) - 100) <= 1, JSON.stringify([...seen]));
    assert.equal((seen.get('a') ?? 0) + (seen.get('b') ?? 0), 300);
    const even = counts(new LeastTime([server('x', 3), server('y', 3), server('z', 9)]), 100);
    assert.deepEqual([...even.keys()].sort(), ['x', 'y'], 'the slower z gets nothing');
    assert.ok(Math.abs((even.get('x') ?? 0) - 50) <= 1, JSON.stringify([...even]));
  });

  it('keeps the last 100 answer times in whole milliseconds, and averages 0 before the first', () => {
    const times = new ResponseTimes();
    assert.equal(times.average(), 0);
    times.add(1.9);
    times.add(4.2);
    assert.equal(times.average(), 2.5);
    for (let i = 0; i < RESPONSE_TIME_SAMPLES; i++) times.add(7);
    assert.equal(times.average(), 7, 'older samples left the ring');
  });
});
