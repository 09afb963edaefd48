/**
 * The PROXY protocol (HAProxy's spec, versions 1 and 2): the header a load balancer puts before
 * a connection's bytes to say who the client is. Parsed on entry points that trust their peer
 * (server/listener/proxy-protocol.ts), written to TCP backends that ask for it (forward.ts).
 */
import { isIP } from 'node:net';

/** Version 2's fixed signature. */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** The longest version 1 line, CRLF included (the spec's figure). */
const V1_MAX = 107;
/** The largest version 2 header accepted (addresses plus TLVs). */
const V2_MAX = 16 + 2048;

/** An endpoint named by a header. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** What the first bytes of a connection say about a PROXY header. */
export type ProxyHeaderVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'partial' }
  | { readonly kind: 'invalid'; readonly reason: string }
  /** A whole header of `length` bytes; `source` is null for LOCAL/UNKNOWN (keep the peer's address). */
  | {
      readonly kind: 'header';
      readonly version: 1 | 2;
      readonly length: number;
      readonly source: ProxyEndpoint | null;
      readonly destination: ProxyEndpoint | null;
    };

const NONE = Object.freeze({ kind: 'none' as const });
const PARTIAL = Object.freeze({ kind: 'partial' as const });
const invalid = (reason: string): ProxyHeaderVerdict => ({ kind: 'invalid', reason });

/** Whether `bytes` starts like `prefix` as far as both go. */
function startsLike(bytes: Buffer, prefix: Buffer): boolean {
  const n = Math.min(bytes.length, prefix.length);
  return bytes.subarray(0, n).equals(prefix.subarray(0, n));
}

/** Classifies the first bytes of a connection; `partial` asks for more. */
export function inspectProxyHeader(bytes: Buffer): ProxyHeaderVerdict {
  if (bytes.length === 0) return PARTIAL;
  if (startsLike(bytes, V2_SIGNATURE)) return bytes.length < 16 ? PARTIAL : parseV2(bytes);
  if (startsLike(bytes, V1_PREFIX)) return bytes.length < V1_PREFIX.length ? PARTIAL : parseV1(bytes);
  return NONE;
}

function parseV1(bytes: Buffer): ProxyHeaderVerdict {
  const end = bytes.indexOf('\r\n', 0, 'latin1');
  if (end === -1) return bytes.length >= V1_MAX ? invalid('a PROXY v1 line longer than 107 bytes') : PARTIAL;
  if (end + 2 > V1_MAX) return invalid('a PROXY v1 line longer than 107 bytes');
  const parts = bytes.toString('latin1', 0, end).split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { kind: 'header', version: 1, length, source: null, destination: null };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) return invalid('a malformed PROXY v1 line');
  const family = parts[1] === 'TCP4' ? 4 : 6;
  const [, , src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  if (isIP(src) !== family || isIP(dst) !== family) return invalid('a PROXY v1 line with a bad address');
  const sourcePort = portOf(sport);
  const destinationPort = portOf(dport);
  if (sourcePort === -1 || destinationPort === -1) return invalid('a PROXY v1 line with a bad port');
  return {
    kind: 'header',
    version: 1,
    length,
    source: { address: src, port: sourcePort },
    destination: { address: dst, port: destinationPort },
  };
}

function portOf(text: string): number {
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return -1;
  const port = Number(text);
  return port <= 65535 ? port : -1;
}

function parseV2(bytes: Buffer): ProxyHeaderVerdict {
  const versionCommand = bytes[12] as number;
  if (versionCommand >> 4 !== 2) return invalid(`PROXY v2 with version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid(`PROXY v2 with command ${command}`);
  const length = 16 + bytes.readUInt16BE(14);
  if (length > V2_MAX) return invalid(`a PROXY v2 header of ${length} bytes is too large`);
  if (bytes.length < length) return PARTIAL;
  // LOCAL (health checks from the balancer itself): the connection's own address stands.
  if (command === 0) return { kind: 'header', version: 2, length, source: null, destination: null };
  const family = (bytes[13] as number) >> 4;
  const body = bytes.subarray(16, length);
  if (family === 1) {
    if (body.length < 12) return invalid('a PROXY v2 IPv4 block too short');
    return {
      kind: 'header',
      version: 2,
      length,
      source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) },
      destination: { address: [...body.subarray(4, 8)].join('.'), port: body.readUInt16BE(10) },
    };
  }
  if (family === 2) {
    if (body.length < 36) return invalid('a PROXY v2 IPv6 block too short');
    return {
      kind: 'header',
      version: 2,
      length,
      source: { address: ipv6Text(body.subarray(0, 16)), port: body.readUInt16BE(32) },
      destination: { address: ipv6Text(body.subarray(16, 32)), port: body.readUInt16BE(34) },
    };
  }
  // UNSPEC or UNIX: no IP to use.
  return { kind: 'header', version: 2, length, source: null, destination: null };
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Uncompressed (`0:0:…:1`): a valid form every IP parser reads.
  return groups.join(':');
}

/** Writes the header a backend expecting PROXY `version` reads first. */
export function encodeProxyHeader(version: 1 | 2, source: ProxyEndpoint, destination: ProxyEndpoint): Buffer {
  const src = unmapped(source.address);
  const dst = unmapped(destination.address);
  const family = isIP(src) === 4 && isIP(dst) === 4 ? 4 : isIP(src) !== 0 && isIP(dst) !== 0 ? 6 : 0;
  if (version === 1) {
    if (family === 0) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    const tcp = family === 4 ? 'TCP4' : 'TCP6';
    const [s, d] = family === 6 ? [asV6(src), asV6(dst)] : [src, dst];
    return Buffer.from(`PROXY ${tcp} ${s} ${d} ${source.port} ${destination.port}\r\n`, 'latin1');
  }
  if (family === 0) return Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const size = family === 4 ? 12 : 36;
  const out = Buffer.alloc(16 + size);
  V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21;
  out[13] = family === 4 ? 0x11 : 0x21;
  out.writeUInt16BE(size, 14);
  if (family === 4) {
    writeV4(out, 16, src);
    writeV4(out, 20, dst);
    out.writeUInt16BE(source.port, 24);
    out.writeUInt16BE(destination.port, 26);
  } else {
    writeV6(out, 16, asV6(src));
    writeV6(out, 32, asV6(dst));
    out.writeUInt16BE(source.port, 48);
    out.writeUInt16BE(destination.port, 50);
  }
  return out;
}

/** `::ffff:1.2.3.4` (a dual-stack socket's IPv4 peer) as `1.2.3.4`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function asV6(address: string): string {
  return isIP(address) === 4 ? `::ffff:${address}` : address;
}

function writeV4(out: Buffer, at: number, address: string): void {
  const parts = address.split('.');
  for (let i = 0; i < 4; i++) out[at + i] = Number(parts[i]);
}

function writeV6(out: Buffer, at: number, address: string): void {
  let text = address;
  // A trailing dotted IPv4 part (`::ffff:1.2.3.4`) becomes two groups.
  const dotted = text.lastIndexOf(':');
  const tail = text.slice(dotted + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i] ?? '0', 16), at + i * 2);
}
