/// <reference lib="dom" />
/** Lists of routers, services and middlewares, with search and status filters kept in the hash. */
import { h, replace } from '../dom.js';
import { compact } from '../format.js';
import { state } from '../store.js';
import type { ApiObject, MiddlewareInfo, RouterInfo, ServiceInfo } from '../types.js';
import { healthBadge, type Kind, objectLink, pageHeader, providerOf, statusBadge, type View } from './common.js';

interface Column<T> {
  label: string;
  cell(item: T): Node | string;
  className?: string;
}

const STATUS_FILTERS: Array<[string, string]> = [
  ['', 'All'],
  ['enabled', 'OK'],
  ['warning', 'Warnings'],
  ['disabled', 'Errors'],
];

function serverCounts(service: ServiceInfo): HTMLElement | string {
  const statuses = Object.values(service.serverStatus ?? {});
  const total = service.loadBalancer?.servers?.length ?? statuses.length;
  if (total === 0) return service.type ?? '';
  const up = statuses.filter((s) => s === 'UP').length;
  const down = statuses.filter((s) => s === 'DOWN').length;
  return h(
    'span',
    { class: 'server-counts' },
    `${total} server${total === 1 ? '' : 's'} `,
    up ? healthBadge('UP') : null,
    up ? ` ${up} ` : null,
    down ? healthBadge('DOWN') : null,
    down ? ` ${down}` : null,
  );
}

function liveRate(kind: 'routers' | 'services', name: string): string {
  const rate = state.live?.[kind]?.[name]?.rate;
  return rate === undefined ? '–' : compact(rate);
}

const ROUTER_COLUMNS: Column<RouterInfo>[] = [
  { label: 'Status', cell: (r) => statusBadge(r.status) },
  { label: 'Name', cell: (r) => objectLink('routers', r.name) },
  { label: 'Rule', cell: (r) => h('code', { class: 'rule' }, r.rule ?? ''), className: 'rule-cell' },
  { label: 'Entry points', cell: (r) => (r.using ?? r.entryPoints ?? []).join(', ') },
  { label: 'Service', cell: (r) => (r.service ? objectLink('services', qualify(r.service, r)) : '') },
  { label: 'Provider', cell: (r) => providerOf(r) },
  {
    label: 'Req/s',
    cell: (r) => h('span', { 'data-live-rate': r.name }, liveRate('routers', r.name)),
    className: 'num',
  },
];

const SERVICE_COLUMNS: Column<ServiceInfo>[] = [
  { label: 'Status', cell: (s) => statusBadge(s.status) },
  { label: 'Name', cell: (s) => objectLink('services', s.name) },
  { label: 'Type', cell: (s) => s.type ?? (s.loadBalancer ? 'loadbalancer' : '') },
  { label: 'Servers', cell: (s) => serverCounts(s) },
  { label: 'Provider', cell: (s) => providerOf(s) },
  {
    label: 'Req/s',
    cell: (s) => h('span', { 'data-live-rate': s.name }, liveRate('services', s.name)),
    className: 'num',
  },
];

const MIDDLEWARE_COLUMNS: Column<MiddlewareInfo>[] = [
  { label: 'Status', cell: (m) => statusBadge(m.status) },
  { label: 'Name', cell: (m) => objectLink('middlewares', m.name) },
  { label: 'Type', cell: (m) => m.type ?? '' },
  { label: 'Used by', cell: (m) => (m.usedBy ?? []).join(', ') },
  { label: 'Provider', cell: (m) => providerOf(m) },
];

/** `svc` used by `r@file` means `svc@file`. */
export function qualify(name: string, from: ApiObject): string {
  if (name.includes('@')) return name;
  return `${name}@${providerOf(from)}`;
}

function matches(item: ApiObject, query: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  return Object.entries(item).some(([key, value]) => {
    if (key === 'usedBy') return false;
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(' ') : '';
    return text.toLowerCase().includes(q);
  });
}

/** Builds a list page for `kind`, with filters from the hash query (`?q=…&status=…`). */
export function listView(kind: Kind, params: URLSearchParams): View {
  const title = kind[0]?.toUpperCase() + kind.slice(1);
  const el = h('div', { class: 'page list' });
  let query = params.get('q') ?? '';
  let status = params.get('status') ?? '';
  const searchId = `search-${kind}`;
  const search = h('input', {
    id: searchId,
    type: 'search',
    value: query,
    placeholder: 'Name, rule, provider…',
    autocomplete: 'off',
    'data-testid': 'search',
  });
  const filterGroup = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Status filter' });
  const count = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const table = h('table', { class: 'objects', 'data-testid': `${kind}-table` });
  const rowTestId = `${kind.slice(0, -1)}-row`;

  function syncHash(): void {
    const p = new URLSearchParams();
    if (query) p.set('q', query);
    if (status) p.set('status', status);
    const next = `#/${kind}${p.size ? `?${p}` : ''}`;
    if (location.hash !== next) history.replaceState(null, '', next);
  }

  function renderFilters(): void {
    replace(
      filterGroup,
      STATUS_FILTERS.map(([value, label]) => {
        const n = value ? items().filter((i) => (i.status ?? 'enabled') === value).length : items().length;
        return h(
          'button',
          {
            type: 'button',
            role: 'radio',
            'aria-checked': String(status === value),
            'data-filter': value || 'all',
            onclick: () => {
              status = value;
              syncHash();
              render();
            },
          },
          `${label} (${n})`,
        );
      }),
    );
  }

  function items(): ApiObject[] {
    return kind === 'routers' ? state.routers : kind === 'services' ? state.services : state.middlewares;
  }

  function columns(): Column<ApiObject>[] {
    return (
      kind === 'routers' ? ROUTER_COLUMNS : kind === 'services' ? SERVICE_COLUMNS : MIDDLEWARE_COLUMNS
    ) as Column<ApiObject>[];
  }

  function render(): void {
    renderFilters();
    const cols = columns();
    const shown = items()
      .filter((i) => (!status || (i.status ?? 'enabled') === status) && matches(i, query))
      .sort((a, b) => a.name.localeCompare(b.name));
    count.textContent = `${shown.length} of ${items().length} ${kind}`;
    replace(
      table,
      h('caption', { class: 'visually-hidden' }, title),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          cols.map((c) => h('th', { scope: 'col', class: c.className ?? '' }, c.label)),
        ),
      ),
      h(
        'tbody',
        null,
        shown.length === 0
          ? h(
              'tr',
              null,
              h('td', { colspan: cols.length, class: 'muted' }, state.loaded ? 'Nothing matches' : 'Loading…'),
            )
          : shown.map((item) =>
              h(
                'tr',
                {
                  'data-testid': rowTestId,
                  'data-name': item.name,
                  'data-status': item.status ?? 'enabled',
                  class: item.status && item.status !== 'enabled' ? `row-${item.status}` : '',
                },
                cols.map((c) => h('td', { class: c.className ?? '' }, c.cell(item))),
              ),
            ),
      ),
    );
  }

  search.addEventListener('input', () => {
    query = search.value.trim();
    syncHash();
    render();
  });

  replace(
    el,
    pageHeader(title ?? kind),
    h('div', { class: 'toolbar' }, h('label', { for: searchId }, 'Search'), search, filterGroup),
    count,
    h('div', { class: 'table-wrap' }, table),
  );
  render();

  return {
    title: title ?? kind,
    el,
    onConfig: render,
    onLive() {
      if (kind === 'middlewares') return;
      for (const span of Array.from(table.querySelectorAll<HTMLElement>('[data-live-rate]'))) {
        span.textContent = liveRate(kind, span.dataset.liveRate ?? '');
      }
    },
  };
}
