/**
 * Traefik's key layout for KV stores, decoded into a dynamic configuration tree: one key per
 * leaf under the root key (`traefik/http/routers/r/rule`), list items as numeric path segments
 * (`…/servers/0/url`), and a list of scalars as one key per item (`…/entrypoints/0`), which
 * Traefik joins into a comma list before decoding (pkg/config/kv). We follow the same steps,
 * then reuse the label codec (`config/labels.ts`): a key becomes the label
 * `root.http.routers.r.rule`, so KV keys, Docker labels and flags decode identically
 * (case-insensitive names, `true` for an enabled section).
 */
import { decodeLabels } from '../../config/labels.js';
import type { ConfigIssue } from '../../core/config-issue.js';
import { ProviderError } from '../../errors.js';

/** The decoded tree, where each path came from (`redis key traefik/http/…`), and skipped keys. */
export interface KvDecoded {
  tree: Record<string, unknown>;
  /** Lower-cased dotted path → the key that set it. */
  origins: Map<string, string>;
  issues: ConfigIssue[];
}

const INDEX = /^\d+$/;

/**
 * Decodes `pairs` (full keys → values) found under `rootKey`. Keys outside the root, empty
 * segments (`a//b`) and segments that the dotted codec cannot carry (`.`, `[`, `]`) are
 * skipped with a warning naming the key; nothing else is dropped. Throws ProviderError when
 * keys contradict each other (a value where another key needs a section).
 */
export function decodeKvPairs(pairs: ReadonlyMap<string, string>, rootKey: string, source: string): KvDecoded {
  const root = rootKey.replace(/\/+$/, '');
  const issues: ConfigIssue[] = [];
  const skip = (key: string, why: string) =>
    issues.push({
      severity: 'warning',
      path: [],
      location: `${source} key ${key}`,
      message: `key ${JSON.stringify(key)} skipped: ${why}`,
    });
  // Scalar lists first: `…/entrypoints/0`, `…/entrypoints/1` → `…/entrypoints` = "web,websecure".
  const scalars = new Map<string, string>();
  const lists = new Map<string, Array<[number, string]>>();
  for (const [key, value] of pairs) {
    if (!key.startsWith(`${root}/`)) {
      skip(key, `outside the root key ${JSON.stringify(root)}`);
      continue;
    }
    const rest = key.slice(root.length + 1);
    const segments = rest.split('/');
    if (rest === '' || segments.some((s) => s === '')) {
      skip(key, 'empty path segment');
      continue;
    }
    if (segments.some((s) => /[.[\]]/.test(s))) {
      skip(key, 'a path segment contains ".", "[" or "]", which names cannot hold here');
      continue;
    }
    const last = segments[segments.length - 1] as string;
    if (segments.length > 1 && INDEX.test(last)) {
      const parent = segments.slice(0, -1).join('/');
      const items = lists.get(parent) ?? [];
      lists.set(parent, items);
      items.push([Number(last), value]);
    } else {
      scalars.set(rest, value);
    }
  }
  const labels: Record<string, string> = {};
  const origins = new Map<string, string>();
  const put = (path: string, value: string, origin: string) => {
    const label = `kv.${path
      .split('/')
      .map((s, i) => (i > 0 && INDEX.test(s) ? `[${s}]` : `.${s}`))
      .join('')
      .replace(/^\./, '')
      .replace(/\.\[/g, '[')}`;
    labels[label] = value;
    origins.set(label, origin);
  };
  for (const [path, value] of scalars) put(path, value, `${root}/${path}`);
  for (const [path, items] of lists) {
    if (scalars.has(path)) {
      skip(`${root}/${path}`, 'it has both a value and list items');
      continue;
    }
    items.sort((a, b) => a[0] - b[0]);
    put(path, items.map(([, v]) => v).join(','), `${root}/${path}/0`);
  }
  try {
    const decoded = decodeLabels(labels, 'kv');
    const byPath = new Map<string, string>();
    for (const [path, label] of decoded.origins) byPath.set(path, `${source} key ${origins.get(label) ?? label}`);
    return { tree: decoded.tree, origins: byPath, issues };
  } catch (error) {
    // A value where another key needs a section (`http/routers/r` = "x" next to `http/routers/r/rule`):
    // the store's content cannot be read as one configuration, so the last good one keeps serving.
    let message = (error as Error).message;
    for (const [label, key] of origins) message = message.replaceAll(JSON.stringify(label), JSON.stringify(key));
    throw new ProviderError(`${source}: ${message}`, `${source} key ${root}`, error);
  }
}
