import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from 'node:tls';
import fc from 'fast-check';
import { parseClientHello, recordComplete } from './client-hello.js';

/** The first bytes a real Node TLS client sends with these options. */
async function helloBytes(options: { servername?: string; ALPNProtocols?: string[] }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket: Socket) => {
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      const client = connect({ host: '127.0.0.1', port: address.port, rejectUnauthorized: false, ...options });
      client.on('error', () => undefined);
    });
    server.on('error', reject);
  });
}

describe('ClientHello reading', () => {
  it('reads the SNI (lower-cased) and the ALPN protocols of a real client', async () => {
    const bytes = await helloBytes({ servername: 'Api.Example.TEST', ALPNProtocols: ['h2', 'http/1.1'] });
    assert.equal(recordComplete(bytes), true);
    assert.deepEqual(parseClientHello(bytes), { serverName: 'api.example.test', alpnProtocols: ['h2', 'http/1.1'] });
  });

  it('gives no name and no protocols when the client sends neither', async () => {
    const bytes = await helloBytes({});
    assert.deepEqual(parseClientHello(bytes), { serverName: null, alpnProtocols: [] });
  });

  it('waits for a whole record, and stops at once for plaintext', async () => {
    const bytes = await helloBytes({ servername: 'a.test' });
    assert.equal(recordComplete(bytes.subarray(0, 4)), false);
    assert.equal(recordComplete(bytes.subarray(0, bytes.length - 1)), false);
    assert.equal(parseClientHello(bytes.subarray(0, bytes.length - 1)), null);
    assert.equal(recordComplete(Buffer.from('G')), true);
  });

  it('never throws on arbitrary or truncated input', async () => {
    const real = await helloBytes({ servername: 'a.test', ALPNProtocols: ['h2'] });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(real.length), (noise, cut) => {
        parseClientHello(Buffer.from(noise));
        parseClientHello(Buffer.concat([Buffer.from([0x16, 3, 1]), Buffer.from(noise)]));
        const mutated = Buffer.from(real.subarray(0, cut));
        if (mutated.length > 10) mutated[Math.min(cut, noise.length) % mutated.length] = noise[0] ?? 0;
        parseClientHello(mutated);
      }),
      { numRuns: 500 },
    );
  });
});
