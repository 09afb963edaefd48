/**
 * Reads a compose file for `switchyard up`. Each service falls in one of three kinds:
 *
 * - a **process service** has an `x-switchyard` extension: it runs as local processes
 *   (`command`, `env` with `{port}`, `{index}`, `{service}`, `{project}` placeholders, `replicas`,
 *   optional `cwd` and `readiness`), and its `labels` configure routing exactly as with Docker;
 * - the **router** is the service without `x-switchyard` whose image or build target is
 *   Switchyard or Traefik (`switchyard/switchyard:dev`, `traefik:v3`, `target: switchyard`), or,
 *   failing that, the one whose `command` is made of `--flags` only: those flags are the static
 *   configuration of the `up` process itself;
 * - anything else (a database image…) cannot run without Docker and is listed as skipped.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError, ConfigParseError } from '../../errors.js';
import { splitCommandLine } from './command-line.js';
import { interpolateTree } from './interpolate.js';

/** A service run as local processes. */
export interface ProcessServiceSpec {
  name: string;
  /** The program and its arguments (no shell). */
  argv: string[];
  /** Working directory of every replica. */
  cwd: string;
  /** Environment templates (placeholders not yet substituted), on top of the parent's environment. */
  env: Record<string, string>;
  /** Replicas wanted at start (x-switchyard.replicas, else deploy.replicas, else 1). */
  replicas: number;
  /** The compose labels (routing configuration, as for Docker). */
  labels: Record<string, string>;
  /** `tcp` (accepts connections) or an HTTP path answered with 2xx/3xx (e.g. `/healthz`). */
  readiness: string;
}

/** The service that is Switchyard itself. */
export interface RouterServiceSpec {
  name: string;
  /** Its `command` flags: the static configuration. */
  flags: string[];
}

/** What `up` learnt from a compose file. */
export interface ComposeProject {
  /** Compose project name (top-level `name`, else COMPOSE_PROJECT_NAME, else the folder's name). */
  name: string;
  file: string;
  dir: string;
  services: ProcessServiceSpec[];
  router: RouterServiceSpec | undefined;
  /** Services that `up` does not run, with the reason. */
  skipped: { name: string; reason: string }[];
  warnings: string[];
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const extensionSchema = z.strictObject({
  command: z.union([z.string().min(1), z.array(scalar).min(1)]),
  env: z.record(z.string(), scalar).optional(),
  replicas: z.number().int().min(0).max(64).optional(),
  cwd: z.string().optional(),
  readiness: z.union([z.literal('tcp'), z.string().startsWith('/')]).optional(),
});

const ROUTER_IMAGES = new Set(['switchyard', 'traefik']);

/** Compose's project-name normalisation: lower case, only `a-z0-9_-`. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** `labels` / `environment`: a list of `K=V` or a mapping. A bare `K` in a list takes the host's value. */
function keyValues(value: unknown, env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = String(item);
      const eq = text.indexOf('=');
      if (eq >= 0) out[text.slice(0, eq)] = text.slice(eq + 1);
      else if (env[text] !== undefined) out[text] = env[text] as string;
    }
  } else {
    for (const [key, item] of Object.entries(asRecord(value))) {
      if (item === null || item === undefined) {
        if (env[key] !== undefined) out[key] = env[key] as string;
      } else {
        out[key] = String(item);
      }
    }
  }
  return out;
}

function commandArgs(value: unknown, where: string): string[] {
  if (typeof value === 'string') return splitCommandLine(value, where);
  if (Array.isArray(value)) return value.map(String);
  return [];
}

function isRouter(service: Record<string, unknown>, where: string): boolean {
  const image = typeof service.image === 'string' ? service.image : '';
  // `registry:5000/org/switchyard:tag` → `switchyard`
  const repository = (image.split('/').pop() ?? '').split(/[:@]/)[0] ?? '';
  if (ROUTER_IMAGES.has(repository.toLowerCase())) return true;
  const target = asRecord(service.build).target;
  if (typeof target === 'string' && ROUTER_IMAGES.has(target.toLowerCase())) return true;
  const args = commandArgs(service.command, where);
  return args.length > 0 && args.every((arg) => arg.startsWith('--'));
}

/** Reads and interpolates a compose file; throws ConfigError / ConfigParseError with the file name. */
export async function loadComposeProject(
  file: string,
  env: Record<string, string | undefined> = process.env,
): Promise<ComposeProject> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? 'no such file (use -f FILE to name another)' : (error as Error).message;
    throw new ConfigError(`cannot read compose file ${path}: ${hint}`, path, error);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigParseError(`${path}: ${(error as Error).message}`, path, error);
  }
  const unset = new Set<string>();
  const root = asRecord(interpolateTree(raw, env, unset, path));
  const dir = dirname(path);
  const warnings = [...unset].map((name) => `variable ${name} is not set; it defaults to an empty string`);
  const named = typeof root.name === 'string' && root.name !== '' ? root.name : env.COMPOSE_PROJECT_NAME;
  const project: ComposeProject = {
    name: normalizeProjectName(named || basename(dir)) || 'default',
    file: path,
    dir,
    services: [],
    router: undefined,
    skipped: [],
    warnings,
  };
  const services = asRecord(root.services);
  if (Object.keys(services).length === 0) throw new ConfigError(`${path} defines no services`, path);
  for (const [name, value] of Object.entries(services)) {
    const service = asRecord(value);
    const where = `${path}: services.${name}`;
    if (service['x-switchyard'] === undefined) {
      if (!isRouter(service, where)) {
        project.skipped.push({ name, reason: 'no x-switchyard extension, so it needs Docker' });
      } else if (project.router !== undefined) {
        project.skipped.push({ name, reason: `a second router (${project.router.name} is the one used)` });
      } else {
        project.router = { name, flags: commandArgs(service.command, where).filter((a) => a.startsWith('--')) };
      }
      continue;
    }
    const parsed = extensionSchema.safeParse(service['x-switchyard']);
    if (!parsed.success) {
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      const key = ['x-switchyard', ...issue.path.map(String)].join('.');
      throw new ConfigError(`${where}.${key}: ${issue.message}`, `${where}.${key}`);
    }
    const extension = parsed.data;
    const argv = commandArgs(extension.command, `${where}.x-switchyard.command`);
    if (argv.length === 0) throw new ConfigError(`${where}.x-switchyard.command is empty`, where);
    const deployReplicas = asRecord(service.deploy).replicas;
    project.services.push({
      name,
      argv,
      cwd: resolve(dir, extension.cwd ?? '.'),
      env: { ...keyValues(service.environment, env), ...(extension.env ?? {}) },
      replicas: extension.replicas ?? (typeof deployReplicas === 'number' ? deployReplicas : 1),
      labels: keyValues(service.labels, env),
      readiness: extension.readiness ?? 'tcp',
    });
  }
  return project;
}
