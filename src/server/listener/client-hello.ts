/**
 * Reading a TLS ClientHello from a connection's first bytes, without TLS: the server name (SNI)
 * and the ALPN protocols offered, which TCP routers match before anything decrypts the stream
 * (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301). The handshake message may be split over several TLS
 * records, each possibly split over several packets: `inspectClientHello` says whether more
 * bytes are needed, and never reads past `MAX_CLIENT_HELLO_BYTES`.
 */

/** The largest ClientHello handshake message accepted (post-quantum key shares make ~1.8 KB ones). */
export const MAX_CLIENT_HELLO_BYTES = 32 * 1024;

/** The most bytes a peek may collect for a ClientHello: the message plus record headers. */
export const MAX_CLIENT_HELLO_PEEK = MAX_CLIENT_HELLO_BYTES + 64 * 5;

/** What the first bytes of a connection are. */
export type ClientHelloVerdict =
  /** Not TLS (the first byte is not a handshake record): plaintext, for HostSNI(`*`) or HTTP. */
  | { readonly kind: 'plaintext' }
  /** A TLS record so far, but the ClientHello is not whole yet. */
  | { readonly kind: 'partial' }
  /** A TLS handshake record whose content is not a valid ClientHello. */
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'hello'; readonly serverName: string; readonly alpn: readonly string[] };

const PLAINTEXT = Object.freeze({ kind: 'plaintext' as const });
const PARTIAL = Object.freeze({ kind: 'partial' as const });

const HANDSHAKE_RECORD = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;

const invalid = (reason: string): ClientHelloVerdict => ({ kind: 'invalid', reason });

/** Classifies the bytes peeked so far; `partial` asks for more. */
export function inspectClientHello(bytes: Buffer): ClientHelloVerdict {
  if (bytes.length === 0) return PARTIAL;
  if (bytes[0] !== HANDSHAKE_RECORD) return PLAINTEXT;
  // Reassemble the handshake message from consecutive handshake records.
  const fragments: Buffer[] = [];
  let have = 0;
  let need = -1;
  let at = 0;
  while (need === -1 || have < need) {
    if (bytes.length < at + 5) return at === 0 && bytes.length >= 2 && bytes[1] !== 3 ? PLAINTEXT : PARTIAL;
    if (bytes[at] !== HANDSHAKE_RECORD) return invalid('a ClientHello interrupted by a non-handshake record');
    // Legacy record version 3.x (3.1 in practice); anything else is not TLS at all.
    if (bytes[at + 1] !== 3) return at === 0 ? PLAINTEXT : invalid('bad record version');
    const recordLength = bytes.readUInt16BE(at + 3);
    if (recordLength === 0 || recordLength > 16_384 + 256) return invalid(`bad record length ${recordLength}`);
    const end = at + 5 + recordLength;
    const available = Math.min(end, bytes.length);
    fragments.push(bytes.subarray(at + 5, available));
    have += available - (at + 5);
    if (need === -1 && have >= 4) {
      const head = fragments.length === 1 ? (fragments[0] as Buffer) : Buffer.concat(fragments);
      if (head[0] !== CLIENT_HELLO) return invalid(`handshake type ${head[0]} is not a ClientHello`);
      need = 4 + head.readUIntBE(1, 3);
      if (need > MAX_CLIENT_HELLO_BYTES) return invalid(`a ClientHello of ${need} bytes is too large`);
    }
    if (bytes.length < end) return need !== -1 && have >= need ? parseHello(Buffer.concat(fragments), need) : PARTIAL;
    at = end;
  }
  return parseHello(Buffer.concat(fragments), need);
}

/** Parses a whole ClientHello handshake message (type and length first). */
function parseHello(message: Buffer, length: number): ClientHelloVerdict {
  const body = message.subarray(4, length);
  const reader = new Reader(body);
  reader.skip(2 + 32); // legacy_version, random
  reader.skip(reader.u8()); // legacy_session_id
  reader.skip(reader.u16()); // cipher_suites
  reader.skip(reader.u8()); // legacy_compression_methods
  if (reader.failed) return invalid('a truncated ClientHello');
  let serverName = '';
  const alpn: string[] = [];
  if (reader.remaining === 0) return { kind: 'hello', serverName, alpn }; // no extensions (old clients)
  const extensionsLength = reader.u16();
  const extensionsEnd = reader.offset + extensionsLength;
  if (reader.failed || extensionsEnd > body.length) return invalid('truncated ClientHello extensions');
  while (reader.offset < extensionsEnd) {
    const type = reader.u16();
    const size = reader.u16();
    if (reader.failed || reader.offset + size > extensionsEnd) return invalid('a truncated ClientHello extension');
    const data = new Reader(body.subarray(reader.offset, reader.offset + size));
    reader.skip(size);
    if (type === EXT_SERVER_NAME) {
      const listLength = data.u16();
      const listEnd = data.offset + listLength;
      while (!data.failed && data.offset < listEnd) {
        const nameType = data.u8();
        const name = data.bytes(data.u16());
        if (data.failed) return invalid('a truncated server_name extension');
        if (nameType === 0 && serverName === '') serverName = normalizeServerName(name);
      }
    } else if (type === EXT_ALPN) {
      const listLength = data.u16();
      const listEnd = data.offset + listLength;
      while (!data.failed && data.offset < listEnd) {
        const protocol = data.bytes(data.u8());
        if (data.failed) return invalid('a truncated ALPN extension');
        if (protocol.length > 0) alpn.push(protocol.toString('latin1'));
      }
    }
  }
  return { kind: 'hello', serverName, alpn };
}

/** SNI is ASCII (IDNs travel as punycode): lower-cased, without a trailing dot. */
function normalizeServerName(name: Buffer): string {
  let text = name.toString('latin1').toLowerCase();
  if (text.endsWith('.')) text = text.slice(0, -1);
  return text;
}

/** A bounds-checked cursor: reading past the end sets `failed` instead of throwing. */
class Reader {
  offset = 0;
  failed = false;

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  u8(): number {
    if (this.offset + 1 > this.buffer.length) return this.fail();
    return this.buffer[this.offset++] as number;
  }

  u16(): number {
    if (this.offset + 2 > this.buffer.length) return this.fail();
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  bytes(count: number): Buffer {
    if (this.offset + count > this.buffer.length) {
      this.fail();
      return Buffer.alloc(0);
    }
    const out = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  skip(count: number): void {
    if (this.offset + count > this.buffer.length) this.fail();
    else this.offset += count;
  }

  private fail(): number {
    this.failed = true;
    this.offset = this.buffer.length;
    return 0;
  }
}
