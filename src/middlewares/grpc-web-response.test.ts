import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalName, trailerFrame } from './grpc-web-response.js';

describe('gRPC-Web trailer frame', () => {
  it("writes trailers as Go's Header.Write does: sorted, one line per value, line breaks as spaces", () => {
    const frame = trailerFrame(
      [
        ['grpc-status', '0'],
        ['x-b', 'two'],
        ['x-a', 'multi\r\nline'],
        ['x-b', 'one'],
        ['content-type', 'application/grpc'],
      ],
      new Set(['content-type']),
    );
    const body = 'grpc-status: 0\r\nx-a: multi  line\r\nx-b: two\r\nx-b: one\r\n';
    assert.equal(frame[0], 0x80);
    assert.equal(frame.readUInt32BE(1), Buffer.byteLength(body));
    assert.equal(frame.subarray(5).toString(), body);
  });

  it('is an empty frame when every trailer was in the head', () => {
    assert.deepEqual(trailerFrame([['grpc-status', '5']], new Set(['grpc-status'])), Buffer.from([0x80, 0, 0, 0, 0]));
  });

  it("names headers in Go's canonical form for Access-Control-Expose-Headers", () => {
    assert.equal(canonicalName('x-served-by'), 'X-Served-By');
    assert.equal(canonicalName('content-type'), 'Content-Type');
    assert.equal(canonicalName('grpc-accept-encoding'), 'Grpc-Accept-Encoding');
  });
});
