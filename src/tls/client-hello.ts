/**
 * Reads the server name (SNI) and ALPN protocols from a TLS ClientHello, before the handshake
 * starts. Node applies only the certificate of a context chosen in SNICallback, not its versions,
 * ciphers or client CAs, so per-name TLS options need the name before the TLS socket is made.
 * Only the first record is read (a ClientHello spread over several records, which no common
 * client sends, yields null and gets the default options). Never throws: bad input is null.
 */

/** What a ClientHello asks for. */
export interface ClientHelloFacts {
  /** The SNI host name, lower-case, without a trailing dot; null without one. */
  readonly serverName: string | null;
  /** The ALPN protocols offered, in the client's order (empty without the extension). */
  readonly alpnProtocols: readonly string[];
}

/** Largest TLS record (2^14 plus the allowed expansion) and its 5-byte header. */
export const MAX_RECORD_BYTES = 5 + 16384 + 2048;

/** True once `bytes` hold a whole first TLS record (or cannot be one), so a peek can stop. */
export function recordComplete(bytes: Buffer): boolean {
  if (bytes.length > 0 && bytes[0] !== 0x16) return true;
  if (bytes.length < 5) return false;
  return bytes.length >= 5 + bytes.readUInt16BE(3);
}

/** Parses the ClientHello in the first record of `bytes`; null when it is not a whole one. */
export function parseClientHello(bytes: Buffer): ClientHelloFacts | null {
  if (bytes.length < 9 || bytes[0] !== 0x16) return null;
  const recordEnd = 5 + bytes.readUInt16BE(3);
  if (bytes.length < recordEnd || bytes[5] !== 1) return null;
  const helloEnd = 9 + bytes.readUIntBE(6, 3);
  if (helloEnd > recordEnd) return null;
  let at = 9 + 2 + 32; // version, random
  if (at + 1 > helloEnd) return null;
  at += 1 + (bytes[at] as number); // session id
  if (at + 2 > helloEnd) return null;
  at += 2 + bytes.readUInt16BE(at); // cipher suites
  if (at + 1 > helloEnd) return null;
  at += 1 + (bytes[at] as number); // compression methods
  if (at === helloEnd) return { serverName: null, alpnProtocols: [] };
  if (at + 2 > helloEnd) return null;
  const extensionsEnd = at + 2 + bytes.readUInt16BE(at);
  if (extensionsEnd > helloEnd) return null;
  at += 2;
  let serverName: string | null = null;
  let alpnProtocols: string[] = [];
  while (at + 4 <= extensionsEnd) {
    const type = bytes.readUInt16BE(at);
    const length = bytes.readUInt16BE(at + 2);
    const start = at + 4;
    const end = start + length;
    if (end > extensionsEnd) return null;
    if (type === 0 && length >= 5) serverName = readServerName(bytes, start, end);
    else if (type === 16 && length >= 2) alpnProtocols = readAlpn(bytes, start, end);
    at = end;
  }
  return { serverName, alpnProtocols };
}

function readServerName(bytes: Buffer, start: number, end: number): string | null {
  const listEnd = Math.min(end, start + 2 + bytes.readUInt16BE(start));
  let at = start + 2;
  while (at + 3 <= listEnd) {
    const kind = bytes[at];
    const length = bytes.readUInt16BE(at + 1);
    if (at + 3 + length > listEnd) return null;
    if (kind === 0) {
      const name = bytes.toString('latin1', at + 3, at + 3 + length).toLowerCase();
      return name.endsWith('.') ? name.slice(0, -1) : name;
    }
    at += 3 + length;
  }
  return null;
}

function readAlpn(bytes: Buffer, start: number, end: number): string[] {
  const listEnd = Math.min(end, start + 2 + bytes.readUInt16BE(start));
  const protocols: string[] = [];
  let at = start + 2;
  while (at < listEnd) {
    const length = bytes[at] as number;
    if (length === 0 || at + 1 + length > listEnd) break;
    protocols.push(bytes.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  return protocols;
}
