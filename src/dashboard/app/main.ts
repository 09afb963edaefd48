/// <reference lib="dom" />
/** The dashboard shell: hash routing, navigation, connection status and the error banner. */
import { h, replace } from './dom.js';
import { on, start, state } from './store.js';
import { renderBanner } from './views/banner.js';
import { certificatesView } from './views/certificates.js';
import type { View } from './views/common.js';
import { middlewareView, routerView, serviceView } from './views/details.js';
import { listView } from './views/lists.js';
import { overviewView } from './views/overview.js';
import { stackView } from './views/stack.js';
import { streamsView } from './views/streams.js';
import { trafficView } from './views/traffic.js';

const main = document.getElementById('view') as HTMLElement;
const banner = document.getElementById('error-banner') as HTMLElement;
const connection = document.getElementById('connection') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const version = document.getElementById('version') as HTMLElement;

let current: View | null = null;
let firstRoute = true;

/** Parses `#/services/web%40file?q=x` into parts. */
function parseHash(): { parts: string[]; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?', 2);
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts, params: new URLSearchParams(query) };
}

function viewFor(parts: string[], params: URLSearchParams): View {
  const [page = '', name] = parts;
  // A name may itself contain `/` (rare, but legal in some providers): join the rest.
  const full = parts.slice(1).join('/');
  switch (page) {
    case '':
      return overviewView();
    case 'routers':
      return name ? routerView(full) : listView('routers', params);
    case 'services':
      return name ? serviceView(full) : listView('services', params);
    case 'middlewares':
      return name ? middlewareView(full) : listView('middlewares', params);
    case 'live':
      return trafficView();
    case 'certificates':
      return certificatesView();
    case 'tcp':
      return streamsView();
    case 'stack':
      return stackView();
    default: {
      const el = h(
        'div',
        { class: 'page' },
        h('h1', { tabindex: '-1' }, 'Not found'),
        h('p', null, 'No page at this address. ', h('a', { href: '#/' }, 'Go to the overview')),
      );
      return { title: 'Not found', el };
    }
  }
}

function route(): void {
  const { parts, params } = parseHash();
  // Changing only the list filters (replaceState) does not come here; a new list or page does.
  current?.destroy?.();
  current = viewFor(parts, params);
  replace(main, current.el);
  document.title = `${current.title} · Switchyard`;
  const section = parts[0] ?? '';
  for (const link of Array.from(nav.querySelectorAll<HTMLAnchorElement>('a[data-section]'))) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!firstRoute) main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: false });
  firstRoute = false;
}

const CONNECTION_TEXT: Record<string, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Live (polling)',
  disconnected: 'Disconnected — retrying',
};

function renderConnection(): void {
  connection.dataset.state = state.connection;
  connection.textContent = CONNECTION_TEXT[state.connection] ?? state.connection;
  document.body.classList.toggle('is-disconnected', state.connection === 'disconnected');
}

function renderChrome(): void {
  renderBanner(banner);
  const stackLink = nav.querySelector<HTMLElement>('[data-section="stack"]')?.parentElement;
  if (stackLink) stackLink.hidden = state.stack === null;
  const v = state.version;
  version.textContent = v ? `Switchyard ${String(v.Version ?? v.version ?? '')}` : '';
}

on('config', () => {
  renderChrome();
  current?.onConfig?.();
});
on('live', () => current?.onLive?.());
on('connection', renderConnection);
window.addEventListener('hashchange', route);

renderConnection();
route();
void start();
