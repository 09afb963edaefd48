/// <reference lib="dom" />
/** Detail pages: a router (rule, entry points, middleware chain, service), a service (servers, health, live), a middleware. */
import { colourOf } from '../colors.js';
import { h, replace } from '../dom.js';
import { bytes, compact, ms } from '../format.js';
import { state } from '../store.js';
import type { MiddlewareInfo, RouterInfo, ServiceInfo } from '../types.js';
import {
  errorsOf,
  facts,
  healthBadge,
  jsonBlock,
  type Kind,
  objectLink,
  pageHeader,
  providerOf,
  statusBadge,
  type View,
} from './common.js';
import { qualify } from './lists.js';
import { recentStrip, serverLetter, serviceTraffic } from './traffic.js';

function notFound(kind: Kind, name: string): HTMLElement {
  return h(
    'div',
    null,
    pageHeader(name),
    h(
      'p',
      { class: 'callout warning' },
      state.loaded ? `No ${kind.slice(0, -1)} named “${name}”. ` : 'Loading… ',
      h('a', { href: `#/${kind}` }, `All ${kind}`),
    ),
  );
}

function find<T extends { name: string }>(list: T[], name: string): T | undefined {
  return list.find((o) => o.name === name) ?? list.find((o) => o.name.split('@')[0] === name);
}

function back(kind: Kind): HTMLElement {
  return h('a', { href: `#/${kind}`, class: 'back' }, `← ${kind[0]?.toUpperCase()}${kind.slice(1)}`);
}

function liveFacts(kind: 'routers' | 'services', name: string): HTMLElement {
  const s = state.live?.[kind]?.[name];
  return facts([
    ['Requests / s', compact(s?.rate ?? 0)],
    ['Requests', compact(s?.requests ?? 0)],
    ['p50', ms(s?.p50)],
    ['p99', ms(s?.p99)],
    [
      'Status',
      Object.entries(s?.status ?? {})
        .sort()
        .map(([c, n]) => `${c}: ${n}`)
        .join(' · ') || '–',
    ],
    ['Bytes out', s?.bytesOut !== undefined ? bytes(s.bytesOut) : null],
  ]);
}

/** A router's page. */
export function routerView(name: string): View {
  const el = h('div', { class: 'page detail' });
  const live = h('div');
  function render(): void {
    const router = find<RouterInfo>(state.routers, name);
    if (!router) {
      replace(el, back('routers'), notFound('routers', name));
      return;
    }
    const service = router.service ? qualify(router.service, router) : '';
    const chain = (router.middlewares ?? []).map((m) => qualify(m, router));
    const steps: HTMLElement[] = [
      h(
        'li',
        { class: 'step entry' },
        h('span', { class: 'step-kind' }, 'Entry points'),
        (router.using ?? router.entryPoints ?? ['(all)']).join(', '),
      ),
      h('li', { class: 'step router' }, h('span', { class: 'step-kind' }, 'Rule'), h('code', null, router.rule ?? '')),
      ...chain.map((m) => {
        const mw = state.middlewares.find((x) => x.name === m);
        return h(
          'li',
          { class: `step middleware ${mw?.status === 'disabled' ? 'bad' : ''}` },
          h('span', { class: 'step-kind' }, `Middleware${mw?.type ? ` · ${mw.type}` : ''}`),
          objectLink('middlewares', m),
        );
      }),
      h(
        'li',
        { class: 'step service' },
        h('span', { class: 'step-kind' }, 'Service'),
        service ? objectLink('services', service) : '–',
      ),
    ];
    replace(
      el,
      back('routers'),
      pageHeader(router.name, statusBadge(router.status)),
      errorsOf(router),
      h('section', { class: 'card wide' }, h('h2', null, 'Path of a request'), h('ol', { class: 'flow' }, steps)),
      h(
        'section',
        { class: 'card wide' },
        h('h2', null, 'Configuration'),
        facts([
          ['Rule', h('code', null, router.rule ?? '')],
          ['Priority', router.priority ?? ''],
          ['Entry points', (router.entryPoints ?? []).join(', ') || '(all)'],
          ['Middlewares', chain.join(' → ') || 'none'],
          ['Service', service],
          ['TLS', router.tls ? JSON.stringify(router.tls) : null],
          ['Provider', providerOf(router)],
        ]),
      ),
      h('section', { class: 'card wide' }, h('h2', null, 'Live'), live),
    );
    renderLive();
  }
  function renderLive(): void {
    replace(live, liveFacts('routers', name));
  }
  render();
  return { title: name, el, onConfig: render, onLive: renderLive };
}

/** A service's page: servers with health, weight, in-flight and live rate; its traffic chart. */
export function serviceView(name: string): View {
  const el = h('div', { class: 'page detail' });
  const serversBox = h('div', { class: 'table-wrap' });
  const liveBox = h('div');
  let traffic: ReturnType<typeof serviceTraffic> | null = null;
  let recent: ReturnType<typeof recentStrip> | null = null;

  function renderServers(service: ServiceInfo): void {
    const configured = service.loadBalancer?.servers ?? [];
    const urls = new Set(configured.map((s) => s.url ?? ''));
    for (const [url, s] of Object.entries(state.live?.servers ?? {})) if (s.service === service.name) urls.add(url);
    urls.delete('');
    if (urls.size === 0) {
      replace(serversBox);
      return;
    }
    replace(
      serversBox,
      h(
        'table',
        { class: 'objects', 'data-testid': 'servers-table' },
        h('caption', { class: 'visually-hidden' }, 'Servers'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['', 'Server', 'Health', 'Weight', 'In flight', 'Req/s', 'Requests', 'p50', 'p99'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          [...urls].sort().map((url) => {
            const s = state.live?.servers?.[url];
            const weight = configured.find((c) => c.url === url)?.weight ?? 1;
            return h(
              'tr',
              { 'data-testid': 'server-row', 'data-server': url },
              h(
                'td',
                null,
                h('span', { class: 'swatch', style: `background:${colourOf(url)}`, 'aria-hidden': 'true' }),
                serverLetter(service.name, url),
              ),
              h('td', { class: 'mono' }, url),
              h('td', null, healthBadge(s?.health ?? service.serverStatus?.[url])),
              h('td', { class: 'num' }, String(weight)),
              h('td', { class: 'num' }, compact(s?.inFlight ?? 0)),
              h('td', { class: 'num' }, compact(s?.rate ?? 0)),
              h('td', { class: 'num' }, compact(s?.requests ?? 0)),
              h('td', { class: 'num' }, ms(s?.p50)),
              h('td', { class: 'num' }, ms(s?.p99)),
            );
          }),
        ),
      ),
    );
  }

  function render(): void {
    const service = find<ServiceInfo>(state.services, name);
    if (!service) {
      replace(el, back('services'), notFound('services', name));
      return;
    }
    traffic ??= serviceTraffic(service.name);
    recent ??= recentStrip((r) => r.service === service.name);
    const usedBy = (service.usedBy ?? []).map((r) => objectLink('routers', r));
    const children = (service.weighted ?? service.highestRandomWeight)?.services?.map((c) => [
      objectLink('services', qualify(c.name, service)),
      ` (weight ${c.weight ?? 1}) `,
    ]);
    const config: Record<string, unknown> = { ...service };
    for (const key of ['name', 'provider', 'status', 'error', 'usedBy', 'serverStatus']) delete config[key];
    replace(
      el,
      back('services'),
      pageHeader(service.name, statusBadge(service.status)),
      errorsOf(service),
      h(
        'section',
        { class: 'card wide' },
        facts([
          ['Type', service.type ?? (service.loadBalancer ? 'loadbalancer' : '')],
          ['Provider', providerOf(service)],
          ['Used by', usedBy.length ? h('span', { class: 'links' }, usedBy) : 'no router'],
          ['Services', children ? h('span', null, children) : null],
          ['Sticky', service.loadBalancer?.sticky ? JSON.stringify(service.loadBalancer.sticky) : null],
          ['Health check', service.loadBalancer?.healthCheck ? JSON.stringify(service.loadBalancer.healthCheck) : null],
        ]),
      ),
      h('section', { class: 'card wide' }, h('h2', null, 'Servers'), serversBox),
      h('section', { class: 'card wide' }, h('h2', null, 'Traffic'), liveBox, traffic.el),
      h('section', { class: 'card wide' }, h('h2', null, 'Most recent requests'), recent.el),
      h('details', { class: 'card wide' }, h('summary', null, 'Configuration (JSON)'), jsonBlock(config)),
    );
    renderServers(service);
    renderLive();
  }

  function renderLive(): void {
    const service = find<ServiceInfo>(state.services, name);
    if (!service) return;
    renderServers(service);
    replace(liveBox, liveFacts('services', service.name));
    traffic?.update();
    recent?.update();
  }
  render();
  return { title: name, el, onConfig: render, onLive: renderLive };
}

/** A middleware's page. */
export function middlewareView(name: string): View {
  const el = h('div', { class: 'page detail' });
  function render(): void {
    const mw = find<MiddlewareInfo>(state.middlewares, name);
    if (!mw) {
      replace(el, back('middlewares'), notFound('middlewares', name));
      return;
    }
    const config: Record<string, unknown> = { ...mw };
    for (const key of ['name', 'provider', 'status', 'error', 'usedBy', 'type']) delete config[key];
    replace(
      el,
      back('middlewares'),
      pageHeader(mw.name, statusBadge(mw.status)),
      errorsOf(mw),
      h(
        'section',
        { class: 'card wide' },
        facts([
          ['Type', mw.type ?? ''],
          ['Provider', providerOf(mw)],
          [
            'Used by',
            (mw.usedBy ?? []).length
              ? h(
                  'span',
                  { class: 'links' },
                  (mw.usedBy ?? []).map((r) => objectLink('routers', r)),
                )
              : 'no router',
          ],
        ]),
        h('h2', null, 'Options'),
        jsonBlock(config),
      ),
    );
  }
  render();
  return { title: name, el, onConfig: render };
}
