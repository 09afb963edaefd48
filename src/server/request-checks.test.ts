import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { asksForH2c, requestProblem } from './request-checks.js';

function request(major: number, rawHeaders: string[]): IncomingMessage {
  return { httpVersionMajor: major, rawHeaders, headers: {} } as unknown as IncomingMessage;
}

describe('request checks before routing', () => {
  it('lets an HTTP/1 request with one Host through', () => {
    assert.equal(requestProblem(request(1, ['Host', 'a', 'Accept', '*/*']), 100), 0);
  });

  it('answers 505 to HTTP/2.0 in a request line and 400 to HTTP/0.9', () => {
    assert.equal(requestProblem(request(2, ['Host', 'a']), 100), 505);
    assert.equal(requestProblem(request(0, []), 100), 400);
  });

  it('answers 400 to a duplicated Host, whatever its case', () => {
    assert.equal(requestProblem(request(1, ['Host', 'a', 'HOST', 'b']), 100), 400);
  });

  it('answers 431 past the header count limit and not at it', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => [`X-${i}`, 'v']).flat();
    assert.equal(requestProblem(request(1, lines(10)), 10), 0);
    assert.equal(requestProblem(request(1, lines(11)), 10), 431);
  });

  it('recognises h2c among upgrade tokens only', () => {
    assert.equal(asksForH2c('h2c'), true);
    assert.equal(asksForH2c('websocket, H2C'), true);
    assert.equal(asksForH2c('websocket'), false);
    assert.equal(asksForH2c(undefined), false);
  });
});

describe('request transfer codings', () => {
  function withCoding(coding: string): IncomingMessage {
    return { httpVersionMajor: 1, rawHeaders: ['Host', 'a'], headers: { 'transfer-encoding': coding } } as never;
  }

  it('accepts chunked alone, in any case', () => {
    assert.equal(requestProblem(withCoding('chunked'), 100), 0);
    assert.equal(requestProblem(withCoding('Chunked'), 100), 0);
  });

  it('answers 400 when chunked is not the final coding, 501 to another coding before it', () => {
    assert.equal(requestProblem(withCoding('xchunked'), 100), 400);
    assert.equal(requestProblem(withCoding('chunked, identity'), 100), 400);
    assert.equal(requestProblem(withCoding('gzip, chunked'), 100), 501);
  });
});
