/**
 * Whether a replica is ready for traffic: it accepts TCP connections on its port, or, when the
 * service names an HTTP path (`readiness: /healthz`), answers it with 2xx/3xx. Probed on
 * 127.0.0.1, where the proxy will connect.
 */
import { request } from 'node:http';
import { connect } from 'node:net';

const PROBE_TIMEOUT_MS = 1000;

/** One probe; resolves true when the replica is ready, false otherwise (never rejects). */
export function probeReady(port: number, readiness: string): Promise<boolean> {
  return readiness === 'tcp' ? probeTcp(port) : probeHttp(port, readiness);
}

function probeTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(PROBE_TIMEOUT_MS);
    const done = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function probeHttp(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, timeout: PROBE_TIMEOUT_MS });
    req.once('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}
