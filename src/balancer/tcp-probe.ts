/**
 * One active health probe of a TCP server (Traefik's `tcp.services.<s>.loadBalancer.healthCheck`):
 * healthy when a connection opens (with TLS when the service dials its servers with TLS) within
 * the timeout; with `send`, that payload is written first; with `expect`, the server must answer
 * with exactly those bytes first. Run by the same `HealthChecker` as HTTP probes, on the same
 * upstream states (`tcp://host:port`).
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ProbeResult } from './health-probe.js';

/** Traefik's limit on `send` and `expect` (bytes). */
export const MAX_TCP_PAYLOAD = 65_535;

/** A resolved TCP health check for one server; serialisable (compared as JSON across reloads). */
export interface TcpProbeSpec {
  readonly kind: 'tcp';
  readonly host: string;
  /** The server's port, or the check's `port`. */
  readonly port: number;
  /** Dial with TLS (the service's `servers[].tls` or its transport's `tls`), or null. */
  readonly tls: {
    readonly serverName?: string;
    readonly insecureSkipVerify: boolean;
    readonly ca?: readonly string[];
  } | null;
  readonly send: string;
  readonly expect: string;
  readonly timeout: number;
  readonly interval: number;
  readonly unhealthyInterval: number;
}

/** Probes once; never rejects. */
export function probeTcp(spec: TcpProbeSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let settled = false;
    const finish = (healthy: boolean, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve({ healthy, reason });
    };
    const timer = setTimeout(() => finish(false, `timeout after ${spec.timeout} ms`), spec.timeout);
    const expected = Buffer.from(spec.expect, 'utf8');
    let received = Buffer.alloc(0);
    const onReady = () => {
      if (spec.send !== '') socket?.write(spec.send);
      if (expected.length === 0) {
        finish(true, '');
        return;
      }
      socket?.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < expected.length) return;
        if (received.subarray(0, expected.length).equals(expected)) finish(true, '');
        else finish(false, 'unexpected health check response');
      });
    };
    try {
      const tls = spec.tls;
      socket =
        tls === null
          ? connectTcp({ host: spec.host, port: spec.port }, onReady)
          : connectTls(
              {
                host: spec.host,
                port: spec.port,
                servername: tls.serverName ?? (isIpLiteral(spec.host) ? undefined : spec.host),
                rejectUnauthorized: !tls.insecureSkipVerify,
                ...(tls.ca === undefined ? {} : { ca: [...tls.ca] }),
              },
              onReady,
            );
    } catch (error) {
      finish(false, (error as Error).message);
      return;
    }
    socket.on('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
    socket.on('close', () => finish(false, 'closed before the expected answer'));
  });
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
