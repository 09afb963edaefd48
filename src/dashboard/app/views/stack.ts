/// <reference lib="dom" />
/** Management of the embedded engine (`/api/stack`): scale a service, stop or start a replica. */
import { postJson } from '../api.js';
import { colourOf } from '../colors.js';
import { h, replace } from '../dom.js';
import { loadConfig, refreshStack, state } from '../store.js';
import type { StackReplica } from '../types.js';
import { pageHeader, type View } from './common.js';

interface StackService {
  name: string;
  desired: number;
  running: number | undefined;
  command: string | undefined;
  routes: Array<{ router: string; rule: string }>;
  replicas: StackReplica[];
}

/** Normalises `/api/stack`: services with `scale`, `running` and a replica list (or a flat replica list). */
function stackServices(): StackService[] {
  const stack = state.stack;
  if (!stack) return [];
  const flat = Array.isArray(stack.replicas) ? stack.replicas : [];
  return (stack.services ?? []).map((s) => {
    const listed = Array.isArray(s.replicas) ? s.replicas : Array.isArray(s.instances) ? s.instances : [];
    const replicas = listed.length > 0 ? listed : flat.filter((r) => r.service === s.name);
    const desired =
      typeof s.scale === 'number'
        ? s.scale
        : typeof s.desired === 'number'
          ? s.desired
          : typeof s.replicas === 'number'
            ? s.replicas
            : replicas.length;
    return {
      name: s.name,
      desired,
      running: s.running,
      command: s.command,
      routes: s.routes ?? [],
      replicas,
    };
  });
}

function stateOf(r: StackReplica): string {
  return String(r.state ?? r.status ?? 'unknown').toLowerCase();
}

const STOPPABLE = new Set(['running', 'starting', 'up', 'healthy']);
const STARTABLE = new Set(['stopped', 'crashed', 'exited', 'dead']);

function uptime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** The management page (the nav shows it only when `/api/stack` answers 200). */
export function stackView(): View {
  const el = h('div', { class: 'page stack' });
  const message = h('p', { role: 'status', 'aria-live': 'polite', class: 'muted' });
  const list = h('div', { class: 'service-cards' });
  /** Replica counts typed but not submitted yet, kept across refreshes. */
  const typed = new Map<string, string>();

  async function act(label: string, path: string, body?: unknown): Promise<void> {
    message.textContent = `${label}…`;
    message.className = 'muted';
    try {
      await postJson(path, body);
      message.textContent = `${label}: accepted`;
    } catch (error) {
      message.textContent = `${label} failed: ${error instanceof Error ? error.message : String(error)}`;
      message.className = 'text-error';
    }
    await Promise.all([refreshStack(), loadConfig()]);
  }

  function render(): void {
    if (!state.stack) {
      replace(
        list,
        h(
          'p',
          { class: 'callout warning' },
          'No engine to manage: start Switchyard with `switchyard up` to use this panel.',
        ),
      );
      return;
    }
    const services = stackServices();
    // Keep the focused control (by its data-action) across re-renders.
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.action;
    replace(
      list,
      services.length === 0 ? h('p', { class: 'muted' }, 'The stack has no services.') : null,
      services.map((s) => {
        const inputId = `scale-${s.name}`;
        const input = h('input', {
          id: inputId,
          type: 'number',
          min: 0,
          max: 64,
          required: true,
          value: typed.get(s.name) ?? s.desired,
          'data-action': `scale-input:${s.name}`,
        });
        input.addEventListener('input', () => typed.set(s.name, input.value));
        const running = s.running ?? s.replicas.filter((r) => stateOf(r) === 'running').length;
        return h(
          'section',
          { class: 'card wide', 'data-stack-service': s.name },
          h('h2', null, s.name),
          h(
            'p',
            null,
            `${running} of ${s.desired} replica${s.desired === 1 ? '' : 's'} in rotation`,
            s.command ? [' · ', h('code', null, s.command)] : null,
          ),
          h(
            'form',
            {
              class: 'scale-form',
              onsubmit: (event: Event) => {
                event.preventDefault();
                const replicas = Number(input.value);
                if (!Number.isInteger(replicas) || replicas < 0 || replicas > 64) {
                  message.textContent = 'Replicas must be a whole number from 0 to 64';
                  message.className = 'text-error';
                  return;
                }
                typed.delete(s.name);
                void act(`Scale ${s.name} to ${replicas}`, `/api/stack/services/${encodeURIComponent(s.name)}/scale`, {
                  replicas,
                });
              },
            },
            h('label', { for: inputId }, 'Replicas'),
            input,
            h('button', { type: 'submit', class: 'button', 'data-action': `scale:${s.name}` }, 'Scale'),
          ),
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'objects compact' },
              h('caption', { class: 'visually-hidden' }, `Replicas of ${s.name}`),
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ['Replica', 'State', 'Address', 'PID', 'Uptime', 'Restarts', 'Action'].map((t) =>
                    h('th', { scope: 'col' }, t),
                  ),
                ),
              ),
              h(
                'tbody',
                null,
                s.replicas.map((r) => {
                  const st = stateOf(r);
                  const verb = STOPPABLE.has(st) ? 'stop' : STARTABLE.has(st) ? 'start' : null;
                  const url = r.url ?? r.address ?? '';
                  return h(
                    'tr',
                    { 'data-replica': r.id, 'data-state': st },
                    h('td', { class: 'mono' }, r.id),
                    h(
                      'td',
                      null,
                      h(
                        'span',
                        {
                          class: `badge ${st === 'running' ? 'health-up' : st === 'crashed' ? 'health-down' : 'health-unknown'}`,
                        },
                        st,
                      ),
                    ),
                    h(
                      'td',
                      { class: 'mono' },
                      url
                        ? h('span', { class: 'swatch', style: `background:${colourOf(url)}`, 'aria-hidden': 'true' })
                        : null,
                      url || '–',
                    ),
                    h('td', { class: 'num' }, r.pid === null || r.pid === undefined ? '–' : String(r.pid)),
                    h('td', { class: 'num' }, uptime(r.uptime)),
                    h('td', { class: 'num' }, String(r.restarts ?? 0)),
                    h(
                      'td',
                      null,
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'button',
                          disabled: verb === null,
                          'aria-label': `${verb === 'start' ? 'Start' : 'Stop'} ${r.id}`,
                          'data-action': `${verb ?? 'wait'}:${r.id}`,
                          onclick: () => {
                            if (verb)
                              void act(
                                `${verb === 'stop' ? 'Stop' : 'Start'} ${r.id}`,
                                `/api/stack/replicas/${encodeURIComponent(r.id)}/${verb}`,
                              );
                          },
                        },
                        verb === 'start' ? 'Start' : verb === 'stop' ? 'Stop' : `${st}…`,
                      ),
                    ),
                  );
                }),
              ),
            ),
          ),
          s.routes.length > 0
            ? h(
                'p',
                { class: 'muted' },
                'Routes: ',
                s.routes.map((r, i) => [i > 0 ? ', ' : '', h('code', null, r.rule)]),
              )
            : null,
        );
      }),
      (state.stack.skipped ?? []).map((s) => h('p', { class: 'callout warning' }, `Skipped ${s.name}: ${s.reason}`)),
    );
    if (focused) list.querySelector<HTMLElement>(`[data-action="${CSS.escape(focused)}"]`)?.focus();
  }

  replace(
    el,
    pageHeader('Management', state.stack?.project ? h('span', { class: 'muted' }, String(state.stack.project)) : ''),
    message,
    list,
  );
  render();
  // Replicas pass through starting and draining; follow them while this page is open.
  const timer = setInterval(() => void refreshStack(), 1500);
  return { title: 'Management', el, onConfig: render, destroy: () => clearInterval(timer) };
}
