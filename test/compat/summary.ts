/**
 * Figures drawn from the corpus's outcomes (the live results or the recorded baseline, the same
 * shape): acceptance overall and per source, the keys warned about, the top blockers and who
 * owns them, and the per-feature support table of docs/traefik-support.md.
 */
import type { Baseline } from './baseline.js';

/** `http.routers.web.tls` → `http.routers.*.tls`: the name of a key whatever the object is called. */
export function generalKey(key: string): string {
  return key
    .replace(/\[\d+\]/g, '[]')
    .replace(/^(http|tcp|udp)\.(routers|services|middlewares|serversTransports)\.[^.]+/, '$1.$2.*')
    .replace(/^tls\.(options|stores)\.[^.]+/, 'tls.$1.*')
    .replace(/^(entryPoints|certificatesResolvers|serversTransport\.spiffe)\.[^.]+/i, '$1.*')
    .replace(/\.(\d+)(\.|$)/g, '[]$2');
}

/** A blocker's short name: what in an error stops the case loading. */
export function blockerOf(raw: string): string {
  // The deepest cause of an object disabled because another is.
  const cause = raw.split(' is disabled: ').pop() as string;
  const error = cause.replace(/(?:[^\s:()]+\/)?[^\s:()]+:\d+:\d+:? ?/g, '');
  const type =
    /unknown middleware type "?([A-Za-z0-9]+)"?/i.exec(error) ?? /middleware type ([A-Za-z0-9]+) is not/i.exec(error);
  if (type) return `middleware ${(type[1] as string).toLowerCase()}`;
  if (/\{\{/.test(error) || /template/i.test(error)) return TEMPLATES;
  const strategy = /unknown load-balancing strategy "([^"]+)"/.exec(error);
  if (strategy) return `loadBalancer.strategy ${strategy[1]}`;
  const internal = /the service "([a-z]+@internal)" does not exist/.exec(error);
  if (internal) return `service ${internal[1]}`;
  const scheme = /unsupported scheme in server URL "([a-z0-9]+):/.exec(error);
  if (scheme) return `server URL scheme ${scheme[1]}`;
  if (/a service needs exactly one of/.test(error)) return 'http.services.*: a service type Switchyard does not know';
  const option = /(http\.middlewares\.)[^.]+\.([A-Za-z]+)\.([A-Za-z]+): unknown option/.exec(error);
  if (option) return `${option[1]}*.${option[2]}.${option[3]}`;
  const key = /(?:^|[\s"(])((?:http|tcp|udp|tls)\.[A-Za-z0-9_.\-[\]]+)/.exec(error);
  if (key) return generalKey((key[1] as string).replace(/\.$/, ''));
  const field = /^(?:[a-z ]+ "[^"]+": )+([A-Za-z0-9_.[\]]+): /.exec(error);
  if (field) return generalKey(field[1] as string);
  return error.replace(/"[^"]*"/g, '"…"').slice(0, 100);
}

/** What stops one case loading: a template case fails on its template, whatever the parser then says. */
function blockersOf(entry: Baseline[string]): string[] {
  if (entry.status === 'fail' && entry.feature.startsWith('templates/')) return [TEMPLATES];
  return entry.errors.map(blockerOf);
}

const TEMPLATES = 'Go templates in file-provider files';

/** Who owns what, as the work is split (issues 13 to 18), in order: the first pattern that matches wins. */
const OWNERS: [RegExp, string][] = [
  [/template|\{\{/, '#13 templates'],
  [
    /highestrandomweight|leasttime|parentrefs|retry\.|noop@internal|rest@internal|headers\.(ssl|feature)|has no service|service type/,
    '#13 service types',
  ],
  [/^tcp\.|^udp\.|^tcp$|^udp$|proxyprotocol|hostsni|udp entry|entrypoints\.\*\.udp/, '#16 TCP/UDP'],
  [/certresolver|certificatesresolvers|acme/, '#15 ACME'],
  [
    /^tls\.|^tls$|\.tls\b|\.tls$|https|scheme h2c|http2|http3|redirections|entrypoints\.\*\.http\.middlewares/,
    '#14 HTTPS',
  ],
  [
    /^middleware |middlewares\.\*\.(basicauth|digestauth|forwardauth|compress|buffering|errors|ipallowlist|ipwhitelist|contenttype|passtlsclientcert|grpcweb|plugin|encodedcharacters)\b|ratelimit\.redis/,
    '#17 middlewares',
  ],
  [/swarm|redis|etcd|consul|kubernetes|nomad|ecs|zookeeper|providers\.http\b/, '#18 providers'],
  [/experimental|plugin/, '#17 middlewares'],
];

/** Which issue owns a blocker or an unhonoured key, or `—` when none does yet. */
export function ownerOf(key: string): string {
  const k = key.toLowerCase();
  return OWNERS.find(([pattern]) => pattern.test(k))?.[1] ?? '—';
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)} %`;
}

export interface Rate {
  total: number;
  ok: number;
  warn: number;
  fail: number;
}

function rate(entries: readonly Baseline[string][]): Rate {
  return {
    total: entries.length,
    ok: entries.filter((e) => e.status === 'ok').length,
    warn: entries.filter((e) => e.status === 'warn').length,
    fail: entries.filter((e) => e.status === 'fail').length,
  };
}

function count(values: Iterable<string>): [string, number][] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** The figures `npm run compat` prints. */
export function summarize(baseline: Baseline): {
  overall: Rate;
  groups: [string, Rate][];
  warned: [string, number][];
  blockers: [string, number][];
} {
  const entries = Object.entries(baseline);
  const groups = [...new Set(entries.map(([id]) => id.split('/')[0] as string))].sort();
  return {
    overall: rate(entries.map(([, e]) => e)),
    groups: groups.map((g) => [g, rate(entries.filter(([id]) => id.startsWith(`${g}/`)).map(([, e]) => e))]),
    // Per case once: a key warned about in 30 cases counts 30.
    warned: count(entries.flatMap(([, e]) => [...new Set(e.warnings.map(generalKey))])),
    blockers: count(entries.flatMap(([, e]) => [...new Set(blockersOf(e))])),
  };
}

export function rateLine(name: string, r: Rate): string {
  return `${name.padEnd(10)} ${String(r.total).padStart(4)} cases: ${percent(r.ok + r.warn, r.total).padStart(7)} load (${r.ok} clean, ${r.warn} with warnings), ${r.fail} fail`;
}

/** The report as lines of text. */
export function renderReport(baseline: Baseline, top = 20): string[] {
  const s = summarize(baseline);
  const lines = [
    'Acceptance (loads = clean + with warnings naming every key not honoured):',
    rateLine('overall', s.overall),
  ];
  for (const [g, r] of s.groups) lines.push(rateLine(g, r));
  lines.push('', `Top blockers (cases failing on each; owner):`);
  for (const [b, n] of s.blockers.slice(0, top)) lines.push(`  ${String(n).padStart(4)}  ${b}  (${ownerOf(b)})`);
  lines.push('', `Keys warned about (cases each; owner):`);
  for (const [k, n] of s.warned.slice(0, top * 2)) lines.push(`  ${String(n).padStart(4)}  ${k}  (${ownerOf(k)})`);
  return lines;
}

const CATEGORIES: [string, string][] = [
  ['providers', 'Providers'],
  ['static', 'Static configuration'],
  ['routers', 'HTTP routers'],
  ['services', 'HTTP services'],
  ['middlewares', 'HTTP middlewares'],
  ['templates', 'File provider templates'],
  ['tls', 'TLS'],
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
];

/** docs/traefik-support.md, from the recorded baseline. */
export function renderSupportDoc(baseline: Baseline): string {
  const s = summarize(baseline);
  const byFeature = new Map<string, Baseline[string][]>();
  for (const entry of Object.values(baseline)) {
    const list = byFeature.get(entry.feature) ?? [];
    list.push(entry);
    byFeature.set(entry.feature, list);
  }
  const out: string[] = [
    '# Traefik support',
    '',
    '<!-- Generated by `npm run compat -- --update` from test/compat/baseline.json; do not edit by hand. -->',
    '',
    'Which Traefik v3 features Switchyard supports, measured on the compatibility corpus',
    "(`test/compat/cases`: configurations written after Traefik's documentation examples, its integration",
    'fixtures and published compose files; each case names the source it follows). A feature is',
    '**supported** when every case showing it loads with nothing ignored, **partial** when its cases load',
    'but some key is ignored (with a warning naming it) or only some cases load, and **not yet** when none',
    'loads. `npm run compat` prints the same figures; `switchyard check` reports any configuration the same way.',
    '',
    `Acceptance: ${s.overall.ok + s.overall.warn} of ${s.overall.total} cases load (${percent(s.overall.ok + s.overall.warn, s.overall.total)}), ${s.overall.ok} with nothing ignored.`,
    '',
    '| source | cases | load | clean | with warnings | fail |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [g, r] of s.groups)
    out.push(`| ${g} | ${r.total} | ${percent(r.ok + r.warn, r.total)} | ${r.ok} | ${r.warn} | ${r.fail} |`);
  for (const [prefix, title] of CATEGORIES) {
    const features = [...byFeature.keys()].filter((f) => f.split('/')[0] === prefix).sort();
    if (features.length === 0) continue;
    out.push(
      '',
      `## ${title}`,
      '',
      '| feature | status | cases | not honoured / blocking |',
      '| --- | --- | ---: | --- |',
    );
    for (const feature of features) {
      const entries = byFeature.get(feature) ?? [];
      const r = rate(entries);
      const status = r.fail === r.total ? 'not yet' : r.ok === r.total ? 'supported' : 'partial';
      const notes = [
        ...new Set([
          ...entries.flatMap((e) => e.errors.map(blockerOf)),
          ...entries.flatMap((e) => e.warnings.map(generalKey)),
        ]),
      ]
        .sort()
        .slice(0, 6)
        .map((n) => `\`${n.replace(/\|/g, '\\|').replace(/`/g, "'")}\``)
        .join(', ');
      out.push(`| ${feature.slice(prefix.length + 1)} | ${status} | ${r.total} | ${notes} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
