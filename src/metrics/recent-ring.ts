/**
 * A fixed-size ring of the most recent finished requests. Recording stores references to
 * strings the request already has and numbers in typed arrays: nothing is allocated per
 * request. Entries are turned into objects only when drained (once a second).
 */
import type { RecentRequest } from './stats-snapshot.js';

/** The ring; `drain()` returns what was recorded since the previous drain. */
export class RecentRing {
  private readonly times: Float64Array;
  private readonly durations: Float64Array;
  private readonly statuses: Uint16Array;
  private readonly methods: string[];
  private readonly hosts: string[];
  private readonly targets: string[];
  private readonly routers: string[];
  private readonly services: string[];
  private readonly servers: string[];
  /** The TLS version of the request's connection (`TLSv1.3`), '' for plaintext. */
  private readonly tlsVersions: string[];
  /** The request's HTTP version as Node gives it (`1.1`, `2.0`): a string the request has. */
  private readonly versions: string[];
  /** Sequence number of the next entry, and of the first one not drained yet. */
  private next = 0;
  private drained = 0;

  constructor(readonly capacity = 1024) {
    this.times = new Float64Array(capacity);
    this.durations = new Float64Array(capacity);
    this.statuses = new Uint16Array(capacity);
    this.methods = new Array<string>(capacity).fill('');
    this.hosts = new Array<string>(capacity).fill('');
    this.targets = new Array<string>(capacity).fill('');
    this.routers = new Array<string>(capacity).fill('');
    this.services = new Array<string>(capacity).fill('');
    this.servers = new Array<string>(capacity).fill('');
    this.tlsVersions = new Array<string>(capacity).fill('');
    this.versions = new Array<string>(capacity).fill('');
  }

  /** Records one request; `target` is the raw request target (the query is cut when drained). */
  push(
    time: number,
    method: string,
    host: string,
    target: string,
    router: string,
    service: string,
    server: string,
    status: number,
    durationMs: number,
    tlsVersion = '',
    version = '1.1',
  ): void {
    const i = this.next % this.capacity;
    this.next++;
    this.times[i] = time;
    this.durations[i] = durationMs;
    this.statuses[i] = status;
    this.methods[i] = method;
    this.hosts[i] = host;
    this.targets[i] = target;
    this.routers[i] = router;
    this.services[i] = service;
    this.servers[i] = server;
    this.tlsVersions[i] = tlsVersion;
    this.versions[i] = version;
  }

  /** Entries recorded since the previous drain, oldest first (older ones overwritten are lost). */
  drain(): RecentRequest[] {
    const from = Math.max(this.drained, this.next - this.capacity);
    const out: RecentRequest[] = [];
    for (let seq = from; seq < this.next; seq++) {
      const i = seq % this.capacity;
      const target = this.targets[i] as string;
      const query = target.indexOf('?');
      const tls = this.tlsVersions[i] as string;
      out.push({
        time: this.times[i] as number,
        method: this.methods[i] as string,
        host: this.hosts[i] as string,
        path: query === -1 ? target : target.slice(0, query),
        router: this.routers[i] as string,
        service: this.services[i] as string,
        server: this.servers[i] as string,
        status: this.statuses[i] as number,
        durationMs: Math.round((this.durations[i] as number) * 1000) / 1000,
        ...(tls === '' ? {} : { tls }),
        protocol: `HTTP/${this.versions[i] as string}`,
      });
    }
    this.drained = this.next;
    return out;
  }
}
