/// <reference lib="dom" />
/**
 * Live traffic: per service, requests per second per server (one stable colour per server),
 * status-class and latency sparklines, and a strip of the most recent requests coloured by
 * server, so round-robin alternation shows at a glance.
 */
import { type Series, sparkline, timeChart } from '../charts.js';
import { colourOf, letterOf, PALETTE, STATUS_COLOURS } from '../colors.js';
import { h, replace } from '../dom.js';
import { compact, ms, shortServer, toMillis } from '../format.js';
import { state, WINDOW_MS } from '../store.js';
import type { RecentRequest } from '../types.js';
import { healthBadge, objectLink, pageHeader, type View } from './common.js';

/**
 * Servers of a service: from the configuration, plus any the live stream reports, plus removed
 * ones that still have traffic in the chart's window (a scale-down stays visible).
 */
export function serversOf(service: string): string[] {
  const urls = new Set<string>();
  const config = state.services.find((s) => s.name === service);
  for (const s of config?.loadBalancer?.servers ?? []) if (s.url) urls.add(s.url);
  for (const [url, s] of Object.entries(state.live?.servers ?? {})) if (s.service === service) urls.add(url);
  for (const [url, owner] of state.serverService) {
    if (owner === service && !urls.has(url) && (state.servers.get(url) ?? []).some((p) => p.v > 0)) urls.add(url);
  }
  return [...urls].sort();
}

/** A short label for a server, for those who cannot tell colours apart: a letter tied to its colour. */
export function serverLetter(_service: string, url: string): string {
  return letterOf(url);
}

/** Services that have live statistics or servers, load balancers first. */
function liveServices(): string[] {
  const names = new Set<string>(Object.keys(state.live?.services ?? {}));
  for (const s of state.services) if (s.loadBalancer?.servers?.length) names.add(s.name);
  for (const name of state.serviceHistory.keys()) names.add(name);
  return [...names].filter((n) => !n.endsWith('@internal')).sort();
}

/** The chart, legend and sparklines of one service; `update()` redraws them from the state. */
export function serviceTraffic(service: string): { el: HTMLElement; update(): void } {
  const chart = h('div', { class: 'chart-box', 'data-testid': `service-chart-${service}` });
  const legend = h('ul', { class: 'legend', 'aria-label': `Servers of ${service}` });
  const sparks = h('div', { class: 'sparks' });
  const el = h('div', { class: 'service-traffic' }, chart, legend, sparks);

  function update(): void {
    const now = state.live ? toMillis(state.live.time) : Date.now();
    const urls = serversOf(service);
    const series: Series[] = urls.map((url) => ({
      key: url,
      label: `${serverLetter(service, url)} ${shortServer(url)}`,
      colour: colourOf(url),
      points: state.servers.get(url) ?? [],
    }));
    chart.dataset.servers = String(urls.filter((u) => (state.live?.servers?.[u]?.requests ?? 0) > 0).length);
    replace(
      chart,
      timeChart(series, {
        now,
        windowMs: WINDOW_MS,
        unit: ' req/s',
        title: `Requests per second per server of ${service}, last 3 minutes`,
      }),
    );
    replace(
      legend,
      urls.map((url) => {
        const s = state.live?.servers?.[url];
        const removed = s === undefined && !state.services.find((x) => x.name === service)?.serverStatus?.[url];
        const health = s?.health ?? state.services.find((x) => x.name === service)?.serverStatus?.[url];
        return h(
          'li',
          { 'data-server': url },
          h('span', { class: 'swatch', style: `background:${colourOf(url)}`, 'aria-hidden': 'true' }),
          h('strong', null, serverLetter(service, url)),
          ' ',
          h('span', { class: 'mono' }, shortServer(url)),
          ' ',
          removed ? h('span', { class: 'badge health-unknown' }, 'removed') : healthBadge(health),
          removed
            ? null
            : h('span', { class: 'muted' }, ` ${compact(s?.rate ?? 0)} req/s · ${compact(s?.requests ?? 0)} total`),
        );
      }),
    );
    const history = state.serviceHistory.get(service);
    const svc = state.live?.services?.[service];
    const statusSeries: Series[] = [...(history?.status.entries() ?? [])]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([cls, points]) => ({ key: cls, label: cls, colour: STATUS_COLOURS[cls] ?? PALETTE[9]!, points }));
    const statusNow = Object.entries(svc?.status ?? {})
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([cls, n]) =>
        h('span', { class: 'status-chip', style: `--c:${STATUS_COLOURS[cls] ?? '#888'}` }, `${cls} ${compact(n)}`),
      );
    replace(
      sparks,
      h(
        'figure',
        null,
        h('figcaption', null, 'Status classes / s'),
        sparkline(statusSeries, { label: `Responses per second by status class for ${service}` }),
        h('div', { class: 'chips' }, statusNow),
      ),
      h(
        'figure',
        null,
        h('figcaption', null, 'Latency p50 / p99'),
        sparkline(
          [
            { key: 'p50', label: 'p50', colour: 'var(--accent)', points: history?.p50 ?? [] },
            { key: 'p99', label: 'p99', colour: STATUS_COLOURS['4xx']!, points: history?.p99 ?? [] },
          ],
          { label: `Latency p50 ${ms(svc?.p50)}, p99 ${ms(svc?.p99)} for ${service}` },
        ),
        h(
          'div',
          { class: 'chips' },
          h('span', null, `p50 ${ms(svc?.p50)}`),
          ' ',
          h('span', null, `p99 ${ms(svc?.p99)}`),
        ),
      ),
    );
  }
  update();
  return { el, update };
}

/** The strip of recent requests: one chip per request, coloured by server, newest last. */
export function recentStrip(filter?: (r: RecentRequest) => boolean): { el: HTMLElement; update(): void } {
  const strip = h('ol', { class: 'recent-strip', 'data-testid': 'recent-strip', 'aria-label': 'Most recent requests' });
  function update(): void {
    const recent = filter ? state.recent.filter(filter) : state.recent;
    replace(
      strip,
      recent.map((r) => {
        const server = r.server ?? '';
        const service = r.service ?? '';
        const text = `${r.method} ${r.host ?? ''}${r.path} → ${r.status} in ${ms(r.durationMs)} by ${server ? shortServer(server) : 'no server'}`;
        return h(
          'li',
          {
            class: `chip ${r.status >= 500 ? 'err5' : r.status >= 400 ? 'err4' : ''}`,
            'data-server': server,
            'data-status': r.status,
            style: server ? `--c:${colourOf(server)}` : '--c:var(--muted)',
            title: text,
          },
          h('span', { 'aria-hidden': 'true' }, server ? serverLetter(service, server) : '·'),
          h('span', { class: 'visually-hidden' }, text),
        );
      }),
    );
  }
  update();
  return { el: strip, update };
}

/** The live traffic page. */
export function trafficView(): View {
  const el = h('div', { class: 'page traffic' });
  let paused = false;
  const pause = h('button', { type: 'button', class: 'button', 'aria-pressed': 'false' }, 'Pause');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) update();
  });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const recent = recentStrip();
  const lastRequests = h('div', { class: 'table-wrap' });
  const cards = h('div', { class: 'service-cards' });
  const cardsByName = new Map<string, { el: HTMLElement; update(): void }>();

  let lastAnnounced = 0;
  let shownNames = '';
  function update(): void {
    // Announce at most every 10 s: a screen reader should not read a number every second.
    if (Date.now() - lastAnnounced > 10_000) {
      lastAnnounced = Date.now();
      summary.textContent = state.live
        ? `${compact(state.totals.rate)} requests per second, ${compact(state.totals.errorRate)} server errors per second.`
        : 'Waiting for live statistics…';
    }
    recent.update();
    const last = state.recent.slice(-8).reverse();
    replace(
      lastRequests,
      h(
        'table',
        { class: 'objects compact' },
        h('caption', { class: 'visually-hidden' }, 'Last requests'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Time', 'Request', 'Status', 'Server', 'Duration'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          null,
          last.map((r) =>
            h(
              'tr',
              null,
              h('td', null, new Date(toMillis(r.time)).toLocaleTimeString([], { hour12: false })),
              h('td', { class: 'mono' }, `${r.method} ${r.host ?? ''}${r.path}`),
              h('td', null, String(r.status)),
              h(
                'td',
                null,
                r.server
                  ? h(
                      'span',
                      null,
                      h('span', { class: 'swatch', style: `background:${colourOf(r.server)}`, 'aria-hidden': 'true' }),
                      shortServer(r.server),
                    )
                  : '–',
              ),
              h('td', { class: 'num' }, ms(r.durationMs)),
            ),
          ),
        ),
      ),
    );
    const names = liveServices();
    for (const name of names) {
      if (cardsByName.has(name)) continue;
      const traffic = serviceTraffic(name);
      const card = h(
        'section',
        { class: 'card wide', 'data-service': name },
        h('h2', null, objectLink('services', name)),
        traffic.el,
      );
      cardsByName.set(name, { el: card, update: traffic.update });
    }
    const signature = names.join('\n');
    if (signature !== shownNames || names.length === 0)
      replace(
        cards,
        names.length === 0 ? h('p', { class: 'muted' }, 'No service has traffic yet.') : null,
        names.map((n) => cardsByName.get(n)?.el),
      );
    shownNames = signature;
    for (const name of names) cardsByName.get(name)?.update();
  }

  replace(
    el,
    pageHeader('Live traffic', pause),
    summary,
    h(
      'section',
      { class: 'card wide', 'aria-labelledby': 'recent-title' },
      h('h2', { id: 'recent-title' }, 'Most recent requests'),
      h(
        'p',
        { class: 'muted' },
        'One chip per request, oldest first, coloured and lettered by the server that answered.',
      ),
      recent.el,
      lastRequests,
    ),
    cards,
  );
  update();
  return {
    title: 'Live traffic',
    el,
    onLive: () => {
      if (!paused) update();
    },
    onConfig: () => {
      if (!paused) update();
    },
  };
}
