/// <reference lib="dom" />
/** The configuration error banner: every object in error, its errors and positions, and provider failures. */
import { h, replace } from '../dom.js';
import { state } from '../store.js';
import type { ApiObject } from '../types.js';
import { errorText, type Kind, objectLink } from './common.js';

interface Problem {
  kind: Kind;
  object: ApiObject;
}

function problems(): Problem[] {
  const out: Problem[] = [];
  const scan = (kind: Kind, list: ApiObject[]) => {
    for (const object of list) {
      if ((object.error?.length ?? 0) > 0 || object.status === 'disabled') out.push({ kind, object });
    }
  };
  scan('routers', state.routers);
  scan('services', state.services);
  scan('middlewares', state.middlewares);
  // Errors before warnings: a disabled object is what breaks traffic.
  return out.sort((a, b) => Number(a.object.status === 'warning') - Number(b.object.status === 'warning'));
}

function failureText(failure: unknown): { provider: string; message: string } {
  if (typeof failure === 'string') return { provider: '', message: failure };
  if (failure && typeof failure === 'object') {
    const f = failure as Record<string, unknown>;
    const position =
      typeof f.location === 'string'
        ? f.location
        : [f.file ?? f.path, f.line, f.column ?? f.col].filter((p) => p !== undefined).join(':');
    const message = String(f.error ?? f.message ?? f.reason ?? JSON.stringify(f));
    return {
      provider: String(f.provider ?? ''),
      message: `${position && !message.includes(position) ? `${position}: ` : ''}${message}${f.code ? ` (${f.code})` : ''}`,
    };
  }
  return { provider: '', message: String(failure) };
}

let lastSignature = '';

/** Renders the banner into `el` (hidden when there is nothing to say). */
export function renderBanner(el: HTMLElement): void {
  const list = problems();
  const failures = state.providerFailures.map(failureText);
  const signature = JSON.stringify([
    list.map((p) => [p.object.name, p.object.error, p.object.location]),
    failures,
    state.loadError,
  ]);
  if (signature === lastSignature) return;
  lastSignature = signature;
  const errors = list.filter((p) => p.object.status !== 'warning').length;
  const warnings = list.length - errors;
  if (list.length === 0 && failures.length === 0 && !state.loadError) {
    el.hidden = true;
    replace(el);
    return;
  }
  el.hidden = false;
  const parts: string[] = [];
  if (errors) parts.push(`${errors} object${errors === 1 ? '' : 's'} in error`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  if (failures.length) parts.push(`${failures.length} provider failure${failures.length === 1 ? '' : 's'}`);
  if (state.loadError) parts.push('API unavailable');
  el.className = `banner ${errors || failures.length || state.loadError ? 'danger' : 'warning'}`;
  replace(
    el,
    h('h2', null, h('span', { 'aria-hidden': 'true' }, '⚠ '), `Configuration problems: ${parts.join(', ')}`),
    h(
      'ul',
      null,
      failures.map((f) =>
        h(
          'li',
          { 'data-kind': 'provider' },
          h('strong', null, `Provider ${f.provider || '(unknown)'} failed`),
          ': ',
          errorText(f.message),
          h('span', { class: 'muted' }, ' — the last good configuration is still serving'),
        ),
      ),
      list.map(({ kind, object }) =>
        h(
          'li',
          { 'data-kind': kind, 'data-name': object.name },
          h('span', { class: 'kind' }, kind.slice(0, -1)),
          ' ',
          objectLink(kind, object.name),
          object.status === 'warning' ? ' (warning)' : ' (disabled)',
          typeof object.location === 'string'
            ? [' defined at ', h('code', { class: 'position' }, object.location)]
            : null,
          (object.error?.length ?? 0) > 0
            ? h(
                'ul',
                null,
                (object.error ?? []).map((e) => h('li', null, errorText(e))),
              )
            : null,
        ),
      ),
      state.loadError ? h('li', null, `Could not read the API: ${state.loadError}`) : null,
    ),
  );
}
