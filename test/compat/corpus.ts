/**
 * The compatibility corpus: configurations written after Traefik's documentation examples, its
 * integration fixtures and published compose files (test/compat/cases, one file a case, each
 * naming the source it follows and the feature it shows), judged the way `switchyard check`
 * judges a configuration. Label cases (compose files) go through the label translation first,
 * as the Docker provider would see their containers.
 *
 * A case file starts with comment lines:
 *   # source: docs/content/…/basicauth.md | integration/fixtures/… | published pattern: …
 *   # feature: middlewares/basicAuth
 * and its name says how it is read: `*.dynamic.{yml,toml}` (a file-provider file),
 * `*.static.{yml,toml}` (a static configuration file), `*.combined.{yml,toml}` (static and dynamic
 * in one file, the file provider reading it), `*.compose.yml` (a compose file: the `traefik`
 * service's `command` is the static configuration, every service's labels are read as Docker's).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type CheckFinding, checkFindings } from '../../src/cli/check.js';
import { buildFromSnapshots, type FileFailure } from '../../src/cli/collect.js';
import { buildStaticConfiguration, loadStaticConfiguration } from '../../src/config/static-loader.js';
import type { StaticConfiguration } from '../../src/config/static-schema.js';
import { SwitchyardError } from '../../src/errors.js';
import { type LoadedFile, loadConfigFile, mergeConfigFiles } from '../../src/provider/file/load-files.js';
import { buildLabelConfiguration } from '../../src/provider/labels/build-configuration.js';
import type { Workload } from '../../src/provider/labels/workload.js';
import type { ProviderSnapshot } from '../../src/provider/provider.js';

/** The repository's `test/compat/cases` (the compiled file lives in `dist/test/compat`). */
export const CASES_DIR = fileURLToPath(new URL('../../../test/compat/cases', import.meta.url));

export type CaseKind = 'dynamic' | 'static' | 'combined' | 'compose';

/** One case of the corpus. */
export interface CompatCase {
  /** Path under `test/compat/cases` (`docs/basicauth.dynamic.yml`). */
  id: string;
  file: string;
  kind: CaseKind;
  /** `docs`, `fixtures` or `published`: the folder it is in. */
  group: string;
  /** The source it follows, from its `# source:` line. */
  source: string;
  /** The feature it shows (`middlewares/basicAuth`), from its `# feature:` line. */
  feature: string;
}

/** How a case fares: `ok` loads with nothing to say, `warn` loads and names what it does not honour, `fail` does not load. */
export type CaseStatus = 'ok' | 'warn' | 'fail';

/** The judgement of one case, as the baseline records it. */
export interface CaseOutcome {
  status: CaseStatus;
  /** The keys warned about (`http.routers.web.observability`), or the warning's words when it names none. */
  warnings: string[];
  /** Why it does not load (each error, its position left out). */
  errors: string[];
}

/** An outcome, plus what is needed to tell whether a key is honoured. */
export interface CaseResult extends CaseOutcome {
  case: CompatCase;
  /** Whether a key path (dotted, any case) is kept in the validated configuration (static or dynamic). */
  keeps: (key: string) => boolean;
}

const KIND_PATTERN = /\.(dynamic|static|combined|compose)\.(ya?ml|toml)$/;

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (KIND_PATTERN.test(entry.name)) out.push(path);
  }
  return out;
}

function header(text: string, name: string): string | undefined {
  const match = new RegExp(`^#\\s*${name}:\\s*(.+)$`, 'm').exec(text);
  return match?.[1]?.trim();
}

/** Every case of the corpus, in path order; throws when a case lacks its source or feature line. */
export function listCases(dir = CASES_DIR): CompatCase[] {
  return walk(dir, [])
    .sort()
    .map((file) => {
      const text = readFileSync(file, 'utf8');
      const id = relative(dir, file).split('\\').join('/');
      const source = header(text, 'source');
      const feature = header(text, 'feature');
      if (source === undefined || feature === undefined)
        throw new Error(`${id}: needs "# source:" and "# feature:" lines`);
      return {
        id,
        file,
        kind: (KIND_PATTERN.exec(file) as RegExpExecArray)[1] as CaseKind,
        group: id.split('/')[0] as string,
        source,
        feature,
      };
    });
}

/** The static configuration dynamic-only cases run under: the entry points Traefik's examples name. */
function exampleStatic(): StaticConfiguration {
  return buildStaticConfiguration({
    // The entry points the documentation's dynamic examples name (`postgres`, `dns` for TCP/UDP).
    entryPoints: {
      web: { address: ':80' },
      websecure: { address: ':443' },
      postgres: { address: ':5432' },
      dns: { address: ':53/udp' },
    },
    api: { insecure: true },
    // What the documentation's dynamic examples assume the static configuration defines.
    providers: { rest: { insecure: true } },
    certificatesResolvers: {
      myresolver: { acme: { email: 'ops@example.test', storage: 'acme.json', tlsChallenge: {} } },
      le: { acme: { email: 'ops@example.test', storage: 'acme.json', tlsChallenge: {} } },
    },
  });
}

/** Finds a key path in a tree, any case. */
function holds(tree: unknown, path: string[]): boolean {
  let node = tree;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return false;
    const wanted = segment.toLowerCase();
    const key = Object.keys(node).find((k) => k.toLowerCase() === wanted);
    if (key === undefined) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** `http.routers.a.b[0].c` → segments, with the label prefix and `@provider` left out. */
function keySegments(key: string): string[] {
  return key
    .replace(/^(traefik|switchyard)\./, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '');
}

/** The key a finding is about (`http.routers.web.tls`), or its words when it names no key. */
export function findingKey(text: string): string {
  const body = text.replace(/^\S+:\d+:\d+: /, '').replace(/^(?:containers?|replicas?|tasks?) [^:]+: /, '');
  const labelSection = /^(tcp|udp|tls) labels (?:are|is) /.exec(body);
  if (labelSection) return labelSection[1] as string;
  const unknown =
    /^(router|service|middleware|servers transport) "([^"@]+)(?:@[^"]*)?": unknown key (\S+) is ignored/.exec(body);
  if (unknown) {
    const section = {
      router: 'routers',
      service: 'services',
      middleware: 'middlewares',
      'servers transport': 'serversTransports',
    }[unknown[1] as string];
    return `http.${section}.${unknown[2]}.${unknown[3]}`;
  }
  const label =
    /label "?((?:traefik|switchyard)\.[^\s"]+)/.exec(body) ?? /labels? ((?:traefik|switchyard)\.[^\s":]+)/.exec(body);
  if (label) return (label[1] as string).replace(/^(traefik|switchyard)\./, '');
  const key = /(?:^|[\s"(])((?:http|tcp|udp|tls)\.[A-Za-z0-9_.\-[\]]+)/.exec(body);
  if (key) return (key[1] as string).replace(/\.$/, '');
  const plain = /^([A-Za-z][A-Za-z0-9_.[\]-]*): /.exec(body);
  if (plain?.[1]?.includes('.') || (plain && !plain[1]?.includes(' '))) return plain?.[1] as string;
  return body.replace(/\s+/g, ' ').slice(0, 140);
}

/** A finding's words without the corpus's own directory (the baseline must not depend on the checkout). */
function portable(text: string): string {
  return text.split(`${CASES_DIR}/`).join('').split(CASES_DIR).join('');
}

function errorText(text: string): string {
  // An object disabled because another is keeps its own words and the deepest cause.
  const chain = text.split(' is disabled: ');
  const short = chain.length > 2 ? `${chain[0]} is disabled: … ${chain[chain.length - 1]}` : text;
  return portable(short)
    .replace(/^\S+:\d+:\d+: /, '')
    .replace(/\s*\((?:[^()]*\/)?[^()/]+:\d+:\d+\)$/, '')
    .replace(/ \((?:known|supported): [^)]*\)/g, '')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
}

/**
 * A case reproduces a published configuration, not the files it names: certificates, keys and CA
 * files (`/certs/example.crt`) are not shipped, and `check` rightly refuses what it cannot read.
 * Those findings are counted as the warning `file not shipped with the case`, so the corpus
 * measures whether the configuration loads; a real `check` with the files present has no such
 * finding, and the TLS tests prove the files are read.
 */
const MISSING_FILE = /cannot read \S+: ENOENT/;

function outcome(kase: CompatCase, given: CheckFinding[], trees: unknown[]): CaseResult {
  const findings = given.map(
    (f): CheckFinding =>
      f.severity === 'error' && MISSING_FILE.test(f.text)
        ? { severity: 'warning', text: 'file not shipped with the case' }
        : f,
  );
  const errors = [...new Set(findings.filter((f) => f.severity === 'error').map((f) => errorText(f.text)))];
  const warnings = [
    ...new Set(findings.filter((f) => f.severity === 'warning').map((f) => portable(findingKey(f.text)))),
  ];
  return {
    case: kase,
    status: errors.length > 0 ? 'fail' : warnings.length > 0 ? 'warn' : 'ok',
    warnings: warnings.sort(),
    errors: errors.sort(),
    keeps: (key) => trees.some((tree) => holds(tree, keySegments(key))),
  };
}

function failed(kase: CompatCase, error: unknown): CaseResult {
  const message = (error as Error).message;
  return outcome(kase, [{ severity: 'error', text: `static configuration: ${message}` }], []);
}

async function loadFiles(
  files: string[],
  staticFile?: string,
): Promise<{ loaded: LoadedFile[]; failures: FileFailure[] }> {
  const loaded: LoadedFile[] = [];
  const failures: FileFailure[] = [];
  for (const file of files) {
    try {
      loaded.push(await loadConfigFile(file, { staticFile }));
    } catch (error) {
      const location = error instanceof SwitchyardError ? error.location : undefined;
      failures.push({ file, message: (error as Error).message, ...(location ? { location } : {}) });
    }
  }
  return { loaded, failures };
}

/** Judges a file-provider case, or a static (or combined) one with the files its file provider names. */
async function evaluateFiles(kase: CompatCase): Promise<CaseResult> {
  let config: StaticConfiguration;
  let staticWarnings: string[] = [];
  let files = [kase.file];
  if (kase.kind === 'dynamic') {
    config = exampleStatic();
  } else {
    try {
      const loaded = await loadStaticConfiguration({
        args: ['--configFile', kase.file],
        env: {},
        cwd: dirname(kase.file),
        searchDirs: [],
      });
      config = loaded.config;
      staticWarnings = loaded.warnings;
    } catch (error) {
      return failed(kase, error);
    }
    // A combined case's file provider reads the case itself (resolved next to it); a static
    // case is about the static configuration alone.
    const filename = config.providers.file?.filename;
    files = filename === undefined || kase.kind === 'static' ? [] : [resolve(dirname(kase.file), filename)];
  }
  const { loaded, failures } = await loadFiles(files, kase.kind === 'dynamic' ? undefined : kase.file);
  const snapshot = mergeConfigFiles(loaded);
  const { runtime } = buildFromSnapshots(config, [snapshot]);
  return outcome(kase, checkFindings(staticWarnings, failures, runtime), [config, snapshot.config]);
}

interface ComposeService {
  image?: string;
  command?: string | string[];
  labels?: string[] | Record<string, string>;
  expose?: (string | number)[];
  ports?: (string | number)[];
  networks?: string[] | Record<string, unknown>;
  /** The ports the image declares (its EXPOSE), which a compose file does not show. */
  'x-image-expose'?: number[];
}

/** Compose's own interpolation: `$$` is a literal `$` (the cases use no variables). */
function interpolate(text: string): string {
  return text.replace(/\$\$/g, '$');
}

function composeLabels(labels: ComposeService['labels']): Record<string, string> {
  if (labels === undefined) return {};
  if (!Array.isArray(labels))
    return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, interpolate(String(v))]));
  const out: Record<string, string> = {};
  for (const entry of labels) {
    const at = entry.indexOf('=');
    if (at > 0) out[entry.slice(0, at)] = interpolate(entry.slice(at + 1));
  }
  return out;
}

/** What well-known images EXPOSE, for services that do not say (`x-image-expose`). */
const IMAGE_EXPOSE: Record<string, number[]> = { traefik: [80] };

function composePorts(service: ComposeService): number[] {
  const image = (service.image ?? '').split(':')[0] as string;
  const ports = new Set<number>(service['x-image-expose'] ?? IMAGE_EXPOSE[image] ?? []);
  for (const entry of service.expose ?? []) ports.add(Number.parseInt(String(entry), 10));
  for (const entry of service.ports ?? []) {
    const container = String(entry).split(':').pop() as string;
    ports.add(Number.parseInt(container, 10));
  }
  return [...ports].filter((p) => Number.isInteger(p)).sort((a, b) => a - b);
}

function commandArgs(command: ComposeService['command']): string[] {
  if (command === undefined) return [];
  return (Array.isArray(command) ? command.map(String) : command.split(/\s+/).filter((a) => a !== '')).map(interpolate);
}

/** Judges a compose case: its Traefik service's flags, then every container's labels. */
async function evaluateCompose(kase: CompatCase): Promise<CaseResult> {
  const compose = parseYaml(readFileSync(kase.file, 'utf8')) as {
    services?: Record<string, ComposeService>;
    networks?: Record<string, { external?: boolean; name?: string } | null>;
  };
  const project = basename(kase.file)
    .replace(KIND_PATTERN, '')
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase();
  const services = Object.entries(compose.services ?? {});
  const traefik = services.find(([name, s]) => name === 'traefik' || /^traefik[:@]?/.test(s.image ?? ''));
  let loaded: Awaited<ReturnType<typeof loadStaticConfiguration>>;
  try {
    loaded = await loadStaticConfiguration({ args: commandArgs(traefik?.[1].command), env: {}, searchDirs: [] });
  } catch (error) {
    return failed(kase, error);
  }
  const networkName = (name: string) => {
    const declared = compose.networks?.[name];
    return declared?.name ?? (declared?.external ? name : `${project}_${name}`);
  };
  const workloads: Workload[] = services.map(([name, service], index) => {
    const nets =
      service.networks === undefined
        ? ['default']
        : Array.isArray(service.networks)
          ? service.networks
          : Object.keys(service.networks);
    return {
      id: `${project}-${name}-1`,
      kind: 'container',
      name: `${project}-${name}-1`,
      labels: composeLabels(service.labels),
      group: { project, service: name },
      running: true,
      health: 'none',
      address: {
        kind: 'networks',
        networks: Object.fromEntries(nets.map((net, n) => [networkName(net), `172.${20 + n}.0.${index + 2}`])),
        ports: composePorts(service),
      },
    };
  });
  const { config } = loaded;
  const docker = config.providers.docker;
  const result = buildLabelConfiguration(workloads, {
    ...(docker ?? {}),
  });
  const snapshot: ProviderSnapshot = { provider: 'docker', config: result.config, issues: result.issues };
  const { runtime } = buildFromSnapshots(config, [snapshot]);
  const findings = checkFindings([...loaded.warnings, ...result.warnings], [], runtime);
  return outcome(kase, findings, [config, result.config]);
}

/** Judges one case as `switchyard check` would. */
export async function evaluateCase(kase: CompatCase): Promise<CaseResult> {
  try {
    return kase.kind === 'compose' ? await evaluateCompose(kase) : await evaluateFiles(kase);
  } catch (error) {
    return failed(kase, error);
  }
}

/** Judges every case. */
export async function evaluateCorpus(cases = listCases()): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const kase of cases) results.push(await evaluateCase(kase));
  return results;
}
