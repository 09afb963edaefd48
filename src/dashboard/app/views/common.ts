/// <reference lib="dom" />
/** Pieces shared by the views: status badges, links to objects, error texts with positions. */
import { h } from '../dom.js';
import type { ApiObject, ObjectStatus } from '../types.js';

/** What a view gives the shell: its element, and how to refresh it. */
export interface View {
  title: string;
  el: HTMLElement;
  /** The configuration was reloaded. */
  onConfig?(): void;
  /** A live statistics tick arrived. */
  onLive?(): void;
  destroy?(): void;
}

/** Kinds of configuration objects, with their list route. */
export type Kind = 'routers' | 'services' | 'middlewares';

/** `#/routers/api%40file`. */
export function hrefOf(kind: Kind, name: string): string {
  return `#/${kind}/${encodeURIComponent(name)}`;
}

/** A link to an object's detail page. */
export function objectLink(kind: Kind, name: string): HTMLAnchorElement {
  return h('a', { href: hrefOf(kind, name), class: 'mono' }, name);
}

const STATUS_TEXT: Record<ObjectStatus, string> = { enabled: 'OK', warning: 'Warning', disabled: 'Error' };

/** A status badge with text (never colour alone). */
export function statusBadge(status: string | undefined): HTMLElement {
  const s = (status ?? 'enabled') as ObjectStatus;
  return h('span', { class: `badge status-${s}`, 'data-status': s }, STATUS_TEXT[s] ?? s);
}

/** A health badge: UP / DOWN. */
export function healthBadge(health: string | undefined): HTMLElement {
  const value = (health ?? 'unknown').toUpperCase();
  const cls = value === 'UP' ? 'up' : value === 'DOWN' ? 'down' : 'unknown';
  return h('span', { class: `badge health-${cls}`, 'data-health': value }, value === 'UNKNOWN' ? '?' : value);
}

const POSITION = /((?:[A-Za-z]:)?[\w./\\@-]+:\d+(?::\d+)?)/;

/** An error message, with any `file:line:col` position set apart so it stands out. */
export function errorText(message: string): HTMLElement {
  const match = POSITION.exec(message);
  if (!match || match.index === undefined) return h('span', { class: 'error-text' }, message);
  const before = message.slice(0, match.index);
  const after = message.slice(match.index + match[0].length);
  return h('span', { class: 'error-text' }, before, h('code', { class: 'position' }, match[0]), after);
}

/** The status, errors and provider of an object, as a definition list block. */
export function errorsOf(object: ApiObject): HTMLElement | null {
  if (!object.error || object.error.length === 0) return null;
  return h(
    'div',
    { class: `callout ${object.status === 'warning' ? 'warning' : 'danger'}`, role: 'note' },
    h('strong', null, object.status === 'warning' ? 'Warning' : 'Error'),
    typeof object.location === 'string' ? [' in ', h('code', { class: 'position' }, object.location)] : null,
    h(
      'ul',
      null,
      object.error.map((e) => h('li', null, errorText(e))),
    ),
  );
}

/** A key/value list. */
export function facts(entries: Array<[string, Node | string | number | null | undefined]>): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    entries
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v as Node | string))),
  );
}

/** A heading with a back link to the list. */
export function pageHeader(title: string, ...extra: Array<Node | string>): HTMLElement {
  return h('div', { class: 'page-header' }, h('h1', { tabindex: '-1' }, title), ...extra);
}

/** Pretty JSON for configuration blocks. */
export function jsonBlock(value: unknown): HTMLElement {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

/** The provider part of a qualified name (`api@file` → `file`). */
export function providerOf(object: ApiObject): string {
  if (object.provider) return object.provider;
  const at = object.name.lastIndexOf('@');
  return at >= 0 ? object.name.slice(at + 1) : '';
}
