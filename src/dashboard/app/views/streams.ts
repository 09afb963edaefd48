/// <reference lib="dom" />
/**
 * The TCP and UDP page: TCP routers (rule, TLS mode, entry points, service), TCP services and
 * middlewares, UDP routers and services, each with its status and errors as the API gives them,
 * and per router and service the live connection figures (open, total, bytes each way) from the
 * live stream's `tcp` statistics.
 */
import { getJson } from '../api.js';
import { h, replace } from '../dom.js';
import { bytes, compact } from '../format.js';
import { state } from '../store.js';
import type { ApiObject } from '../types.js';
import { errorsOf, pageHeader, providerOf, statusBadge, type View } from './common.js';

interface StreamObject extends ApiObject {
  rule?: string;
  service?: string;
  entryPoints?: string[];
  tls?: { passthrough?: boolean } | boolean | null;
  type?: string;
  loadBalancer?: { servers?: Array<{ address?: string }> };
  usedBy?: string[];
}

interface Counters {
  connections: number;
  open: number;
  bytesIn: number;
  bytesOut: number;
}

type Figures = Record<string, Counters> | undefined;

function tlsMode(tls: StreamObject['tls']): string {
  if (tls === undefined || tls === null || tls === false) return '—';
  return typeof tls === 'object' && tls.passthrough === true ? 'passthrough' : 'terminate';
}

function traffic(figures: Figures, name: string): string {
  const c = figures?.[name];
  if (c === undefined) return '–';
  return `${compact(c.open)} open · ${compact(c.connections)} total · ↑${bytes(c.bytesIn)} ↓${bytes(c.bytesOut)}`;
}

function tableOf(title: string, head: string[], rows: Node[][]): HTMLElement {
  return h(
    'section',
    { class: 'stream-section' },
    h('h2', null, title),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'objects', 'data-testid': title.toLowerCase().replace(/\W+/g, '-') },
        h('thead', null, h('tr', null, ...head.map((label) => h('th', { scope: 'col' }, label)))),
        h(
          'tbody',
          null,
          ...(rows.length === 0
            ? [h('tr', null, h('td', { colspan: head.length, class: 'muted' }, 'None'))]
            : rows.map((cells) => h('tr', null, ...cells.map((cell) => h('td', null, cell))))),
        ),
      ),
    ),
  );
}

function nameCell(object: StreamObject): Node {
  return h('span', null, h('span', { class: 'mono' }, object.name), errorsOf(object));
}

/** `#/tcp`: TCP and UDP routing. */
export function streamsView(): View {
  const el = h('div', { class: 'page' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  replace(el, pageHeader('TCP and UDP'), body);
  let data: Record<string, StreamObject[]> | null = null;
  const controller = new AbortController();

  const render = () => {
    if (data === null) return;
    const tcp = (state.live as { tcp?: { routers?: Figures; services?: Figures; udpRouters?: Figures } } | null)?.tcp;
    const text = (value: string) => document.createTextNode(value);
    replace(
      body,
      tableOf(
        'TCP routers',
        ['Status', 'Name', 'Rule', 'TLS', 'Entry points', 'Service', 'Provider', 'Connections'],
        (data.tcpRouters ?? []).map((r) => [
          statusBadge(r.status),
          nameCell(r),
          h('code', { class: 'rule' }, r.rule ?? ''),
          text(tlsMode(r.tls)),
          text((r.entryPoints ?? []).join(', ')),
          text(r.service ?? ''),
          text(providerOf(r)),
          text(traffic(tcp?.routers, r.name)),
        ]),
      ),
      tableOf(
        'TCP services',
        ['Status', 'Name', 'Type', 'Servers', 'Provider', 'Connections'],
        (data.tcpServices ?? []).map((s) => [
          statusBadge(s.status),
          nameCell(s),
          text(s.type ?? ''),
          text((s.loadBalancer?.servers ?? []).map((server) => server.address ?? '').join(', ')),
          text(providerOf(s)),
          text(traffic(tcp?.services, s.name)),
        ]),
      ),
      tableOf(
        'TCP middlewares',
        ['Status', 'Name', 'Type', 'Used by', 'Provider'],
        (data.tcpMiddlewares ?? []).map((m) => [
          statusBadge(m.status),
          nameCell(m),
          text(m.type ?? ''),
          text((m.usedBy ?? []).join(', ')),
          text(providerOf(m)),
        ]),
      ),
      tableOf(
        'UDP routers',
        ['Status', 'Name', 'Entry points', 'Service', 'Provider', 'Sessions'],
        (data.udpRouters ?? []).map((r) => [
          statusBadge(r.status),
          nameCell(r),
          text((r.entryPoints ?? []).join(', ') || 'all UDP entry points'),
          text(r.service ?? ''),
          text(providerOf(r)),
          text(traffic(tcp?.udpRouters, r.name)),
        ]),
      ),
      tableOf(
        'UDP services',
        ['Status', 'Name', 'Type', 'Servers', 'Provider'],
        (data.udpServices ?? []).map((s) => [
          statusBadge(s.status),
          nameCell(s),
          text(s.type ?? ''),
          text((s.loadBalancer?.servers ?? []).map((server) => server.address ?? '').join(', ')),
          text(providerOf(s)),
        ]),
      ),
    );
  };

  const load = async () => {
    const paths: Record<string, string> = {
      tcpRouters: '/api/tcp/routers',
      tcpServices: '/api/tcp/services',
      tcpMiddlewares: '/api/tcp/middlewares',
      udpRouters: '/api/udp/routers',
      udpServices: '/api/udp/services',
    };
    try {
      const entries = await Promise.all(
        Object.entries(paths).map(
          async ([key, path]) => [key, await getJson<StreamObject[]>(path, controller.signal)] as const,
        ),
      );
      data = Object.fromEntries(entries);
      render();
    } catch (error) {
      if (!controller.signal.aborted) replace(body, h('p', { class: 'error-text' }, String((error as Error).message)));
    }
  };
  void load();
  return {
    title: 'TCP and UDP',
    el,
    onConfig: () => void load(),
    onLive: render,
    destroy: () => controller.abort(),
  };
}
