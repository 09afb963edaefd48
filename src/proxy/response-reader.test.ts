import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freeLeases, type ReadLease } from './read-lease.js';
import { ResponseReader, type ResponseSink } from './response-reader.js';

class Recorder implements ResponseSink {
  heads: Array<{ status: number; message: string; headers: string[] }> = [];
  body: Buffer[] = [];
  lastFlags: boolean[] = [];
  ends = 0;
  trailers: string[] | null = null;
  onResponseHead(status: number, message: string, headers: string[]): void {
    this.heads.push({ status, message, headers });
  }
  onResponseBody(chunk: Buffer, last: boolean, _lease: ReadLease | null = null): void {
    this.body.push(Buffer.from(chunk));
    this.lastFlags.push(last);
  }
  onResponseEnd(trailers: string[] | null): void {
    this.ends++;
    this.trailers = trailers;
  }
  get text(): string {
    return Buffer.concat(this.body).toString('latin1');
  }
}

/** Feeds `wire` to a fresh reader in pieces of `step` bytes. */
function read(wire: string, step = wire.length, expectBody = true): { reader: ResponseReader; sink: Recorder } {
  const reader = new ResponseReader();
  const sink = new Recorder();
  reader.begin(expectBody);
  const bytes = Buffer.from(wire, 'latin1');
  for (let i = 0; i < bytes.length; i += step) {
    const error = reader.push(bytes.subarray(i, i + step), sink);
    if (error !== null) throw error;
  }
  return { reader, sink };
}

describe('upstream response reader', () => {
  it('reads a head and a content-length body arriving in one piece, ending with the last chunk', () => {
    const { reader, sink } = read('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual(sink.heads, [
      { status: 200, message: 'OK', headers: ['Content-Type', 'text/plain', 'Content-Length', '5'] },
    ]);
    assert.equal(sink.text, 'hello');
    assert.deepEqual(sink.lastFlags, [true]);
    assert.equal(sink.ends, 1);
    assert.ok(reader.done && reader.keepAlive);
  });

  it('gives the same result when the bytes arrive one at a time', () => {
    const wire = 'HTTP/1.1 201 Created\r\nX-A:  b \r\nContent-Length: 3\r\n\r\nabc';
    const { reader, sink } = read(wire, 1);
    assert.equal(sink.heads[0]?.status, 201);
    assert.deepEqual(sink.heads[0]?.headers, ['X-A', 'b', 'Content-Length', '3']);
    assert.equal(sink.text, 'abc');
    assert.equal(sink.ends, 1);
    assert.ok(reader.done && reader.keepAlive);
  });

  it('decodes a chunked body split anywhere, hands on its trailers and drops the framing headers', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, X-Private\r\nX-Private: 1\r\nKeep-Alive: timeout=5\r\n\r\n' +
      '5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (const step of [1, 2, 3, 7, 1000]) {
      const { reader, sink } = read(wire, step);
      assert.deepEqual(sink.heads[0]?.headers, [], `step ${step}`);
      assert.equal(sink.text, 'hello, world!!!', `step ${step}`);
      assert.equal(sink.ends, 1);
      assert.deepEqual(sink.trailers, ['X-Trailer', 't'], `step ${step}`);
      assert.ok(reader.done && reader.keepAlive);
    }
  });

  it('keeps trailer fields but those that frame, route or authenticate and malformed ones, and bounds them', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n';
    const { sink } = read(
      `${head}Grpc-Status: 0\r\nContent-Length: 9\r\nHost: x\r\nConnection: close\r\nX-Sum:  abc \r\n\r\n`,
    );
    assert.deepEqual(sink.trailers, ['Grpc-Status', '0', 'X-Sum', 'abc']);
    const none = read(`${head}\r\n`);
    assert.equal(none.sink.trailers, null);
    const malformed = read(`${head}No colon here\r\nBad Name: 1\r\nX-A: a\x01b\r\n\rX: 1\r\nX-Ok: 1\r\n\r\n`);
    assert.deepEqual(malformed.sink.trailers, ['X-Ok', '1']);
    assert.equal(malformed.sink.ends, 1);
    assert.ok(malformed.reader.done && malformed.reader.keepAlive);
    assert.throws(() => read(`${head}${'X-Big: 0123456789abcdef\r\n'.repeat(700)}\r\n`), /trailer overflow/);
  });

  it('skips 1xx informational answers and reads the final one', () => {
    const { sink } = read(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
    );
    assert.deepEqual(
      sink.heads.map((h) => h.status),
      [204],
    );
    assert.equal(sink.ends, 1);
  });

  it('reads no body for HEAD, 204 and 304 whatever the length says', () => {
    const head = read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', undefined, false);
    assert.equal(head.sink.ends, 1);
    assert.deepEqual(head.sink.heads[0]?.headers, ['Content-Length', '10']);
    const notModified = read('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n');
    assert.equal(notModified.sink.ends, 1);
  });

  it('reads a body without length until the connection closes, and never reuses it', () => {
    const { reader, sink } = read('HTTP/1.0 200 OK\r\n\r\nsome bytes');
    assert.equal(sink.ends, 0);
    assert.ok(reader.untilClose);
    assert.ok(reader.close(sink));
    assert.equal(sink.ends, 1);
    assert.equal(sink.text, 'some bytes');
    assert.equal(reader.keepAlive, false);
  });

  it('reports a body cut short by the close as incomplete', () => {
    const { reader, sink } = read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
    assert.equal(reader.close(sink), false);
    assert.equal(sink.ends, 0);
  });

  it('does not reuse a connection after Connection: close, HTTP/1.0 without keep-alive, or extra bytes', () => {
    assert.equal(read('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').reader.keepAlive, false);
    assert.equal(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').reader.keepAlive, false);
    assert.equal(read('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').reader.keepAlive, true);
    assert.equal(read('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab').reader.keepAlive, false);
  });

  it('rejects malformed heads', () => {
    for (const wire of [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 2x0 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nNoColon\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      assert.throws(() => read(wire), /upstream protocol error/, JSON.stringify(wire));
    }
  });

  it('copies what it keeps when the read buffer is reused after each read', () => {
    const wire = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n',
      'latin1',
    );
    for (const step of [1, 5, 13, wire.length]) {
      const reader = new ResponseReader();
      const sink = new Recorder();
      // The recorder keeps references, not copies, to catch a body handed on uncopied.
      sink.onResponseBody = function (chunk: Buffer, last: boolean) {
        this.body.push(chunk);
        this.lastFlags.push(last);
      };
      reader.begin(true);
      const shared = Buffer.alloc(wire.length);
      for (let i = 0; i < wire.length; i += step) {
        const piece = wire.subarray(i, i + step);
        piece.copy(shared);
        assert.equal(reader.push(shared.subarray(0, piece.length), sink, true), null);
        shared.fill(0x58);
      }
      assert.equal(sink.text, 'abcdefg', `step ${step}`);
      assert.equal(sink.ends, 1);
    }
  });

  it('copies a large body chunk out of a shared read buffer into a lent buffer to release once written', () => {
    const body = Buffer.alloc(20 * 1024, 0x61);
    const wire = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    const shared = Buffer.from(wire);
    const reader = new ResponseReader();
    const seen: Array<{ chunk: Buffer; lease: ReadLease | null }> = [];
    const sink = new Recorder();
    sink.onResponseBody = (chunk: Buffer, _last: boolean, lease: ReadLease | null = null) => {
      seen.push({ chunk, lease });
    };
    reader.begin(true);
    const freeBefore = freeLeases();
    assert.equal(reader.push(shared, sink, true), null);
    shared.fill(0x58); // the read buffer is reused at once
    assert.equal(seen.length, 1);
    const lease = seen[0]?.lease;
    assert.ok(lease, 'a large chunk comes in a lent buffer');
    assert.ok(seen[0]?.chunk.equals(body), 'the chunk is a copy, intact after the read buffer changed');
    assert.equal(lease.inUse, true);
    lease.release();
    assert.equal(lease.inUse, false);
    const freeAfter = freeLeases();
    assert.ok(freeAfter >= 1 && freeAfter >= freeBefore, 'the buffer is back for the next chunk');
    lease.release(); // an extra release is harmless
    assert.equal(freeLeases(), freeAfter);
  });

  it('rejects a head larger than 16 KiB', () => {
    assert.throws(() => read(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(17 * 1024)}`), /header overflow/);
  });
});

describe('upstream response reader: strict head validation', () => {
  /** The error the reader returns for `wire`, or null. */
  function errorOf(wire: string): string | null {
    const reader = new ResponseReader();
    reader.begin(true);
    const sink = new Recorder();
    const error = reader.push(Buffer.from(wire, 'latin1'), sink);
    if (error === null) assert.equal(sink.heads.length, 1, 'a head without an error is reported');
    else assert.equal(sink.heads.length, 0, 'a refused head is never reported');
    return error === null ? null : error.message;
  }

  const refused: Array<[what: string, wire: string]> = [
    ['a bare LF in a value', 'HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 0\r\n\r\n'],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n'],
    ['a NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n'],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n'],
    ['DEL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x7fb\r\nContent-Length: 0\r\n\r\n'],
    ['a space in a name', 'HTTP/1.1 200 OK\r\nX A: b\r\nContent-Length: 0\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nX-A : b\r\nContent-Length: 0\r\n\r\n'],
    ['a separator in a name', 'HTTP/1.1 200 OK\r\nX(A): b\r\nContent-Length: 0\r\n\r\n'],
    ['non-ASCII in a name', 'HTTP/1.1 200 OK\r\nX-\xe9: b\r\nContent-Length: 0\r\n\r\n'],
    ['a control character in the reason phrase', 'HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n'],
    ['a LF in the status line', 'HTTP/1.1 200 O\nK\r\nContent-Length: 0\r\n\r\n'],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a four-digit status', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n'],
    ['HTTP/2.0', 'HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a bare CR between the status code and the reason phrase', 'HTTP/1.1 200\rOK\r\nContent-Length: 0\r\n\r\n'],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
  ];
  for (const [what, wire] of refused) {
    it(`refuses ${what}`, () => {
      assert.ok(errorOf(wire)?.startsWith('upstream protocol error'));
    });
  }

  it('accepts HTAB and obs-text in values and an empty reason phrase', () => {
    assert.equal(errorOf('HTTP/1.1 200 \r\nX-A: a\tb\xe9\r\nContent-Length: 0\r\n\r\n'), null);
    assert.equal(errorOf('HTTP/1.1 204\r\n\r\n'), null);
  });

  it('removes hop-by-hop headers whatever the length of their name, and those Connection names', () => {
    const { sink } = read(
      'HTTP/1.1 200 OK\r\nProxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n' +
        'Connection: X-Secret-Header-Longer-Than-Seventeen\r\nX-Secret-Header-Longer-Than-Seventeen: 1\r\n' +
        'Upgrade: foo\r\nX-Kept: yes\r\nContent-Length: 0\r\n\r\n',
    );
    assert.deepEqual(sink.heads[0]?.headers, ['X-Kept', 'yes', 'Content-Length', '0']);
  });

  it('gives up after too many 1xx answers', () => {
    const reader = new ResponseReader();
    reader.begin(true);
    const error = reader.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'.repeat(20), 'latin1'), new Recorder());
    assert.match(String(error?.message), /too many 1xx/);
  });
});

describe('upstream response reader: strict chunk sizes', () => {
  function chunkError(line: string): string | null {
    const reader = new ResponseReader();
    reader.begin(true);
    const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nhello\r\n0\r\n\r\n`;
    return reader.push(Buffer.from(wire, 'latin1'), new Recorder())?.message ?? null;
  }

  it('accepts a size with whitespace and extensions', () => {
    assert.equal(chunkError('5'), null);
    assert.equal(chunkError('5 ;name=value'), null);
    assert.equal(chunkError('5;a;b="c d"'), null);
  });

  it('refuses text after the size that is not an extension, and control characters in one', () => {
    assert.match(String(chunkError('5 junk')), /invalid chunk size/);
    assert.match(String(chunkError('5;a\0b')), /invalid chunk size/);
    assert.match(String(chunkError('5;a\rb')), /invalid chunk size/);
  });
});
