/**
 * IP addresses and networks for ClientIP. Every address is held as 128 bits (four 32-bit words);
 * IPv4 lives in the IPv4-mapped range ::ffff:0:0/96, so `::ffff:10.1.2.3` and `10.1.2.3` are the
 * same address, as in Go. As in Go, an IPv4 network never contains a (non-mapped) IPv6 address
 * and an IPv6 network never contains an IPv4 one.
 */

/** A network (an IP alone is a network of full length), ready for `networkContains`. */
export interface IpNetwork {
  isV4: boolean;
  /** Prefix length in the 128-bit space (an IPv4 /8 is 104). */
  bits: number;
  words: Uint32Array;
  masks: Uint32Array;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses an IPv4 or IPv6 address (zone and mapped forms accepted) into `out`; false if malformed. */
export function parseIp(text: string, out: Uint32Array): boolean {
  if (text.includes('.') && !text.includes(':')) return parseIpv4(text, out);
  return parseIpv6(text, out);
}

/** Whether the parsed address in `words` is IPv4 (plain or IPv4-mapped). */
export function isV4Address(words: Uint32Array): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address; undefined when invalid. */
export function parseNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  const words = new Uint32Array(4);
  if (!parseIp(slash === -1 ? text : text.slice(0, slash), words)) return undefined;
  const isV4 = isV4Address(words);
  const plainV4 = !text.slice(0, slash === -1 ? undefined : slash).includes(':');
  let bits = 128;
  if (slash !== -1) {
    const lengthText = text.slice(slash + 1);
    const max = plainV4 ? 32 : 128;
    if (!/^(0|[1-9]\d{0,2})$/.test(lengthText) || Number(lengthText) > max) return undefined;
    bits = Number(lengthText) + (plainV4 ? 96 : 0);
  }
  const masks = new Uint32Array(4);
  for (let w = 0; w < 4; w++) {
    const inWord = Math.min(32, Math.max(0, bits - w * 32));
    masks[w] = inWord === 0 ? 0 : (0xffffffff << (32 - inWord)) >>> 0;
    words[w] = (words[w]! & masks[w]!) >>> 0;
  }
  return { isV4, bits, words, masks };
}

/** Whether an address parsed by parseIp lies in the network. */
export function networkContains(network: IpNetwork, address: Uint32Array): boolean {
  if (isV4Address(address) !== network.isV4) return false;
  for (let w = 0; w < 4; w++) {
    if ((address[w]! & network.masks[w]!) >>> 0 !== network.words[w]) return false;
  }
  return true;
}

function parseIpv4(text: string, out: Uint32Array): boolean {
  const match = IPV4.exec(text);
  if (match === null) return false;
  const parts = text.split('.');
  out[0] = 0;
  out[1] = 0;
  out[2] = 0xffff;
  out[3] = ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
  return true;
}

/** Parses IPv6 text, with `::` compression, a trailing dotted IPv4 part and an optional `%zone`. */
function parseIpv6(text: string, out: Uint32Array): boolean {
  const percent = text.indexOf('%');
  if (percent !== -1) text = text.slice(0, percent);
  const groups: number[] = [];
  let gapAt = -1;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  for (let h = 0; h < halves.length; h++) {
    if (h === 1) gapAt = groups.length;
    const half = halves[h]!;
    if (half === '') continue;
    const pieces = half.split(':');
    for (let p = 0; p < pieces.length; p++) {
      const piece = pieces[p]!;
      const isLastPiece = h === halves.length - 1 && p === pieces.length - 1;
      if (isLastPiece && piece.includes('.')) {
        const v4 = new Uint32Array(4);
        if (!parseIpv4(piece, v4)) return false;
        groups.push(v4[3]! >>> 16, v4[3]! & 0xffff);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else {
        return false;
      }
    }
  }
  if (gapAt === -1 ? groups.length !== 8 : groups.length > 7) return false;
  if (gapAt !== -1) groups.splice(gapAt, 0, ...new Array<number>(8 - groups.length).fill(0));
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return true;
}
