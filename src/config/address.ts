/**
 * Entry point addresses in Go's `host:port` form, as Traefik writes them: `:8000` (every
 * interface), `127.0.0.1:8000`, `[::1]:8000`, `localhost:80`, optionally suffixed `/tcp`.
 */
import { ConfigError } from '../errors.js';

/** A listen address; `host` undefined means every interface. */
export interface ListenAddress {
  host?: string;
  port: number;
  /** `tcp` unless the address ends in `/udp`. */
  protocol?: 'tcp' | 'udp';
}

/** Parses an entry point address; throws ConfigError on a missing port, a bad port or protocol. */
export function parseAddress(address: string): ListenAddress {
  let text = address.trim();
  const slash = text.lastIndexOf('/');
  let protocol: 'tcp' | 'udp' = 'tcp';
  if (slash >= 0) {
    const written = text.slice(slash + 1).toLowerCase();
    if (written !== 'tcp' && written !== 'udp')
      throw new ConfigError(`unknown protocol in address ${JSON.stringify(address)} (expected /tcp or /udp)`);
    protocol = written;
    text = text.slice(0, slash);
  }
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') {
      throw new ConfigError(`invalid address ${JSON.stringify(address)} (expected "[ipv6]:port")`);
    }
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new ConfigError(`missing port in address ${JSON.stringify(address)} (expected e.g. ":8000")`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':'))
      throw new ConfigError(`IPv6 address ${JSON.stringify(address)} needs brackets: "[${host}]:port"`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ConfigError(`invalid port in address ${JSON.stringify(address)}`);
  }
  const port = Number(portText);
  const parsed: ListenAddress = host === '' ? { port } : { host, port };
  if (protocol === 'udp') parsed.protocol = 'udp';
  return parsed;
}
