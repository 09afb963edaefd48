/// <reference lib="dom" />
/** The overview: entry points, object counts with warnings and errors, providers, live rates. */
import { sparkline } from '../charts.js';
import { h, replace } from '../dom.js';
import { compact, percent } from '../format.js';
import { state } from '../store.js';
import type { ApiObject, Counts } from '../types.js';
import { type Kind, pageHeader, providerOf, type View } from './common.js';

function countsOf(kind: Kind, list: ApiObject[]): Counts {
  const fromApi = state.overview?.http?.[kind];
  if (fromApi && typeof fromApi.total === 'number') return fromApi;
  return {
    total: list.length,
    warnings: list.filter((o) => o.status === 'warning').length,
    errors: list.filter((o) => o.status === 'disabled').length,
  };
}

function countCard(kind: Kind, label: string, list: ApiObject[]): HTMLElement {
  const c = countsOf(kind, list);
  const ok = (c.total ?? 0) - (c.warnings ?? 0) - (c.errors ?? 0);
  return h(
    'section',
    { class: 'card', 'data-testid': `count-${kind}` },
    h('h2', null, h('a', { href: `#/${kind}` }, label)),
    h('p', { class: 'big', 'data-testid': `count-${kind}-total` }, String(c.total ?? 0)),
    h(
      'ul',
      { class: 'count-breakdown' },
      h('li', null, h('a', { href: `#/${kind}?status=enabled` }, h('span', { class: 'dot ok' }), `${ok} OK`)),
      h(
        'li',
        null,
        h(
          'a',
          { href: `#/${kind}?status=warning`, class: c.warnings ? 'has-warning' : '' },
          h('span', { class: 'dot warning' }),
          `${c.warnings ?? 0} warnings`,
        ),
      ),
      h(
        'li',
        null,
        h(
          'a',
          { href: `#/${kind}?status=disabled`, class: c.errors ? 'has-error' : '' },
          h('span', { class: 'dot error' }),
          `${c.errors ?? 0} errors`,
        ),
      ),
    ),
  );
}

/** Builds the overview page. */
export function overviewView(): View {
  const el = h('div', { class: 'page overview' });
  const liveInner = h('div');
  const live = h(
    'section',
    { class: 'card wide live-card', 'aria-labelledby': 'live-title' },
    h('h2', { id: 'live-title' }, 'Traffic now'),
    liveInner,
    h('p', null, h('a', { href: '#/live' }, 'Open live traffic →')),
  );
  const config = h('div', { class: 'grid' });

  function renderLive(): void {
    const { rate, errorRate, clientErrorRate, inFlight } = state.totals;
    const hasLive = state.live !== null;
    replace(
      liveInner,
      h(
        'div',
        { class: 'metrics' },
        h(
          'div',
          { class: 'metric' },
          h('span', { class: 'label' }, 'Requests / s'),
          h('span', { class: 'big', 'data-testid': 'overview-rate' }, hasLive ? compact(rate) : '–'),
        ),
        h(
          'div',
          { class: 'metric' },
          h('span', { class: 'label' }, 'Server errors (5xx)'),
          h(
            'span',
            { class: `big ${errorRate > 0 ? 'text-error' : ''}`, 'data-testid': 'overview-error-rate' },
            hasLive ? percent(errorRate, Math.max(rate, errorRate)) : '–',
          ),
          h('span', { class: 'muted' }, hasLive ? `${compact(errorRate)}/s` : ''),
        ),
        h(
          'div',
          { class: 'metric' },
          h('span', { class: 'label' }, 'Client errors (4xx)'),
          h('span', { class: 'big' }, hasLive ? `${compact(clientErrorRate)}/s` : '–'),
        ),
        h(
          'div',
          { class: 'metric' },
          h('span', { class: 'label' }, 'In flight'),
          h('span', { class: 'big' }, hasLive ? compact(inFlight) : '–'),
        ),
        h(
          'div',
          { class: 'metric spark-metric' },
          h('span', { class: 'label' }, 'Last 3 minutes'),
          sparkline(
            [{ key: 'total', label: 'requests per second', colour: 'var(--accent)', points: state.totalHistory }],
            {
              label: `Requests per second over the last 3 minutes, now ${compact(rate)}`,
              width: 220,
              height: 44,
            },
          ),
        ),
      ),
    );
  }

  function renderConfig(): void {
    const entryRates = state.live?.entryPoints ?? {};
    const providers = new Set<string>(state.overview?.providers ?? []);
    if (providers.size === 0) for (const r of [...state.routers, ...state.services]) providers.add(providerOf(r));
    replace(
      config,
      countCard('routers', 'Routers', state.routers),
      countCard('services', 'Services', state.services),
      countCard('middlewares', 'Middlewares', state.middlewares),
      h(
        'section',
        { class: 'card', 'data-testid': 'entrypoints' },
        h('h2', null, 'Entry points'),
        state.entryPoints.length === 0
          ? h('p', { class: 'muted' }, 'None reported')
          : h(
              'ul',
              { class: 'plain' },
              state.entryPoints.map((ep) =>
                h(
                  'li',
                  { 'data-entrypoint': ep.name },
                  h('strong', null, ep.name),
                  ' ',
                  h('code', null, ep.address ?? ''),
                  entryRates[ep.name]
                    ? h('span', { class: 'muted' }, ` ${compact(entryRates[ep.name]?.rate)} req/s`)
                    : null,
                ),
              ),
            ),
      ),
      h(
        'section',
        { class: 'card', 'data-testid': 'providers' },
        h('h2', null, 'Providers'),
        h(
          'ul',
          { class: 'plain' },
          [...providers]
            .filter(Boolean)
            .sort()
            .map((p) => h('li', null, p)),
        ),
        state.providerFailures.length > 0
          ? h('p', { class: 'text-error' }, `${state.providerFailures.length} failing — see the banner above`)
          : null,
      ),
    );
  }

  replace(el, pageHeader('Overview'), live, config);
  renderLive();
  renderConfig();
  return { title: 'Overview', el, onLive: renderLive, onConfig: renderConfig };
}
