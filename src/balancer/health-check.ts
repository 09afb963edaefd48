/**
 * Active health checks, run by the control plane. One check per server URL, kept across
 * reloads: a rebuild hands over the wanted checks and only new or changed ones (re)start, so a
 * reload neither resets health nor floods the servers with probes. Results flip
 * `UpstreamState.activeHealth` (announced once per change on the registry's events), which every
 * balancer reads on its next pick (and the API shows as serverStatus), so routing follows health
 * without a rebuild.
 */
import { type ProbeResult, type ProbeSpec, probe } from './health-probe.js';
import { probeTcp, type TcpProbeSpec } from './tcp-probe.js';
import type { HealthStatus, UpstreamRegistry, UpstreamState } from './upstream-state.js';

/** What a server's check is: an HTTP probe, or a TCP one (tcp-probe.ts). */
export type HealthProbeSpec = ProbeSpec | TcpProbeSpec;

function run(spec: HealthProbeSpec): Promise<ProbeResult> {
  return 'kind' in spec && spec.kind === 'tcp' ? probeTcp(spec) : probe(spec as ProbeSpec);
}

/** Where state changes are reported. */
export interface HealthLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** A check running for one server. */
class ActiveCheck {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly spec: HealthProbeSpec,
    /** Identity of the spec, to tell a changed check from an unchanged one. */
    readonly specKey: string,
    readonly state: UpstreamState,
    private readonly logger: HealthLogger | null,
  ) {}

  /** Starts probing at once. */
  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), delay);
    // Health checks alone must not keep the process alive.
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = null;
    const result = await run(this.spec);
    if (this.stopped) return;
    const next: HealthStatus = result.healthy ? 'UP' : 'DOWN';
    if (this.state.activeHealth !== next) {
      this.state.setActiveHealth(next);
      const details = { server: this.state.url, health: next, reason: result.reason || undefined };
      if (next === 'UP') this.logger?.info(details, 'server is healthy');
      else this.logger?.warn(details, 'server is unhealthy');
    }
    this.schedule(next === 'UP' ? this.spec.interval : this.spec.unhealthyInterval);
  }
}

/** The health checks of every server, keyed by server URL. */
export class HealthChecker {
  private readonly checks = new Map<string, ActiveCheck>();
  /** Server URLs of the previous configuration, to recognise new servers. */
  private known = new Set<string>();

  constructor(
    private readonly upstreams: UpstreamRegistry,
    private readonly logger: HealthLogger | null = null,
  ) {}

  /**
   * Applies the checks the new configuration wants (by server URL). Call it before the new
   * routing table is swapped in: a server that is new and has a check is marked DOWN here, so it
   * takes traffic only after its first passing probe.
   */
  sync(wanted: ReadonlyMap<string, HealthProbeSpec>, usedUrls: ReadonlySet<string>): void {
    for (const [url, check] of this.checks) {
      const spec = wanted.get(url);
      if (spec !== undefined && JSON.stringify(spec) === check.specKey) continue;
      check.stop();
      this.checks.delete(url);
      // Still configured but no longer checked: health checks no longer speak for it.
      if (spec === undefined) check.state.setActiveHealth('UP');
    }
    for (const [url, spec] of wanted) {
      if (this.checks.has(url)) continue;
      const state = this.upstreams.get(url);
      if (!this.known.has(url)) state.setActiveHealth('DOWN');
      const check = new ActiveCheck(spec, JSON.stringify(spec), state, this.logger);
      this.checks.set(url, check);
      check.start();
    }
    this.known = new Set(usedUrls);
  }

  /** Stops every check (shutdown). */
  stop(): void {
    for (const check of this.checks.values()) check.stop();
    this.checks.clear();
  }
}
