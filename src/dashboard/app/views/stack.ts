/// <reference lib="dom" />
/** Management of the embedded engine (`/api/stack`): scale a service, stop or start a replica. */
import { postJson } from '../api.js';
import { h, replace } from '../dom.js';
import { loadConfig, state } from '../store.js';
import type { StackReplica } from '../types.js';
import { pageHeader, type View } from './common.js';

interface StackService {
  name: string;
  desired: number;
  replicas: StackReplica[];
}

/** Normalises `/api/stack` (services with replica lists or counts, or a flat replica list). */
function stackServices(): StackService[] {
  const stack = state.stack;
  if (!stack) return [];
  const flat = Array.isArray(stack.replicas) ? stack.replicas : [];
  return (stack.services ?? []).map((s) => {
    const listed = Array.isArray(s.replicas) ? s.replicas : Array.isArray(s.instances) ? s.instances : [];
    const replicas = listed.length > 0 ? listed : flat.filter((r) => r.service === s.name);
    const desired =
      typeof s.desired === 'number' ? s.desired : typeof s.replicas === 'number' ? s.replicas : replicas.length;
    return { name: s.name, desired, replicas };
  });
}

function stateOf(r: StackReplica): string {
  return String(r.state ?? r.status ?? 'unknown').toLowerCase();
}

/** The management page (only reachable when `/api/stack` answers 200). */
export function stackView(): View {
  const el = h('div', { class: 'page stack' });
  const message = h('p', { role: 'status', 'aria-live': 'polite', class: 'muted' });
  const list = h('div', { class: 'service-cards' });

  async function act(label: string, path: string, body?: unknown): Promise<void> {
    message.textContent = `${label}…`;
    message.className = 'muted';
    try {
      await postJson(path, body);
      message.textContent = `${label}: done`;
    } catch (error) {
      message.textContent = `${label} failed: ${error instanceof Error ? error.message : String(error)}`;
      message.className = 'text-error';
    }
    await loadConfig();
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
    // Keep the focused control (by its data-action) across the re-render of a reload.
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.action;
    replace(
      list,
      services.map((s) => {
        const inputId = `scale-${s.name}`;
        const input = h('input', {
          id: inputId,
          type: 'number',
          min: 0,
          max: 64,
          value: s.desired,
          'data-action': `scale-input:${s.name}`,
        });
        const running = s.replicas.filter((r) => ['running', 'up', 'healthy'].includes(stateOf(r))).length;
        return h(
          'section',
          { class: 'card wide', 'data-stack-service': s.name },
          h('h2', null, s.name),
          h('p', null, `${running} of ${s.replicas.length} replicas running (desired ${s.desired})`),
          h(
            'form',
            {
              class: 'scale-form',
              onsubmit: (event: Event) => {
                event.preventDefault();
                const replicas = Number(input.value);
                if (!Number.isInteger(replicas) || replicas < 0) {
                  message.textContent = 'Replicas must be a whole number, 0 or more';
                  message.className = 'text-error';
                  return;
                }
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
            'table',
            { class: 'objects compact' },
            h('caption', { class: 'visually-hidden' }, `Replicas of ${s.name}`),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Replica', 'State', 'Address', 'Action'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              null,
              s.replicas.map((r) => {
                const st = stateOf(r);
                const running = ['running', 'up', 'healthy', 'starting'].includes(st);
                const verb = running ? 'stop' : 'start';
                return h(
                  'tr',
                  { 'data-replica': r.id },
                  h('td', { class: 'mono' }, r.id),
                  h('td', null, h('span', { class: `badge ${running ? 'health-up' : 'health-down'}` }, st)),
                  h('td', { class: 'mono' }, String(r.url ?? r.address ?? '')),
                  h(
                    'td',
                    null,
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'button',
                        'data-action': `${verb}:${r.id}`,
                        onclick: () =>
                          void act(
                            `${verb === 'stop' ? 'Stop' : 'Start'} ${r.id}`,
                            `/api/stack/replicas/${encodeURIComponent(r.id)}/${verb}`,
                          ),
                      },
                      verb === 'stop' ? 'Stop' : 'Start',
                    ),
                  ),
                );
              }),
            ),
          ),
        );
      }),
    );
    if (focused) list.querySelector<HTMLElement>(`[data-action="${CSS.escape(focused)}"]`)?.focus();
  }

  replace(el, pageHeader('Management'), message, list);
  render();
  return { title: 'Management', el, onConfig: render };
}
