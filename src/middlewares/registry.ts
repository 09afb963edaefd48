/**
 * The middleware registry: types looked up by name, case-insensitively (Docker labels are often
 * lower-case: `…middlewares.x.stripprefix.prefixes`). Building one is canonicalize option keys →
 * validate with the type's schema → build. Adding a middleware is one file and one line below.
 */
import type { z } from 'zod';
import { canonicalizeKeys } from '../config/canonicalize.js';
import { normalizeForSchema } from '../config/schema-walk.js';
import { MiddlewareError } from '../errors.js';
import { addPrefix } from './add-prefix.js';
import { basicAuth } from './basic-auth.js';
import { buffering } from './buffering.js';
import { chain } from './chain.js';
import { circuitBreaker } from './circuit-breaker.js';
import { compress } from './compress.js';
import { contentType } from './content-type.js';
import { digestAuth } from './digest-auth.js';
import { encodedCharacters } from './encoded-characters.js';
import { errorPages } from './error-pages.js';
import { forwardAuth } from './forward-auth.js';
import { grpcWeb } from './grpc-web.js';
import { headers } from './headers.js';
import { inFlightReq } from './in-flight-req.js';
import { ipAllowList, ipWhiteList } from './ip-allow-list.js';
import { OptionError, optionPath } from './options.js';
import { passTLSClientCert } from './pass-tls-client-cert.js';
import { plugin } from './plugin.js';
import { rateLimit } from './rate-limit.js';
import { redirectRegex } from './redirect-regex.js';
import { redirectScheme } from './redirect-scheme.js';
import { replacePath } from './replace-path.js';
import { replacePathRegex } from './replace-path-regex.js';
import { retry } from './retry.js';
import { stripPrefix } from './strip-prefix.js';
import { stripPrefixRegex } from './strip-prefix-regex.js';
import type { MiddlewareBuildContext, MiddlewareDefinition, MiddlewareWrapper } from './types.js';

/** Registered middleware types, keyed by lower-case type name. */
export const middlewareRegistry = new Map<string, MiddlewareDefinition>();

/** Adds a middleware type; a second type with the same (case-insensitive) name is a bug. */
export function registerMiddleware(definition: MiddlewareDefinition): void {
  const key = definition.type.toLowerCase();
  if (middlewareRegistry.has(key)) throw new Error(`middleware type ${definition.type} is already registered`);
  middlewareRegistry.set(key, definition);
}

for (const definition of [
  addPrefix,
  basicAuth,
  buffering,
  chain,
  circuitBreaker,
  compress,
  contentType,
  digestAuth,
  encodedCharacters,
  errorPages,
  forwardAuth,
  grpcWeb,
  headers,
  inFlightReq,
  ipAllowList,
  ipWhiteList,
  passTLSClientCert,
  plugin,
  rateLimit,
  redirectRegex,
  redirectScheme,
  replacePath,
  replacePathRegex,
  retry,
  stripPrefix,
  stripPrefixRegex,
] as MiddlewareDefinition[]) {
  registerMiddleware(definition);
}

/**
 * Traefik v3 middleware types Switchyard does not build yet, and why: a configuration naming one
 * gets this reason rather than "unknown type". Their routers are disabled, never served without
 * the middleware (most of these guard or transform the request). docs/configuration.md has the
 * whole table. (None today: every Traefik v3 HTTP middleware type is built.)
 */
const NOT_YET: ReadonlyMap<string, string> = new Map<string, string>();

/** The middleware type for `type`, whatever its case, or undefined. */
export function findMiddlewareType(type: string): MiddlewareDefinition | undefined {
  return middlewareRegistry.get(type.toLowerCase());
}

/** The registered type names, in Traefik's spelling, sorted. */
export function middlewareTypes(): string[] {
  return [...middlewareRegistry.values()].map((definition) => definition.type).sort();
}

function knownOptions(schema: unknown): string {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape).join(', ') : '';
}

function describeIssues(
  name: string,
  definition: MiddlewareDefinition,
  error: z.ZodError,
): { message: string; location: string } {
  const type = definition.type;
  const messages: string[] = [];
  let location: string | undefined;
  const add = (field: string, message: string): void => {
    const path = optionPath(name, type, field);
    location ??= path;
    messages.push(`${path}: ${message}`);
  };
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      // Name each unknown key where it is, and say what would have been accepted.
      const known = field === '' ? knownOptions(definition.schema) : '';
      for (const key of issue.keys) {
        add(field === '' ? key : `${field}.${key}`, known ? `unknown option (known: ${known})` : 'unknown option');
      }
    } else if (issue.code === 'invalid_key') {
      add(field, issue.issues.map((inner) => inner.message).join('; '));
    } else if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      add(field, `required option is missing (${issue.message.replace(/^Invalid input: /, '')})`);
    } else {
      add(field, issue.message);
    }
  }
  return { message: messages.join('; '), location: location ?? optionPath(name, type) };
}

/** The options minus those Traefik accepts but no longer honours, each named in a warning. */
function withoutIgnoredOptions(
  name: string,
  definition: MiddlewareDefinition,
  raw: unknown,
  context: MiddlewareBuildContext,
): unknown {
  const ignored = definition.ignoredOptions;
  if (ignored === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const byLowerName = new Map(Object.entries(ignored).map(([key, reason]) => [key.toLowerCase(), [key, reason]]));
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const match = byLowerName.get(key.toLowerCase());
    if (match === undefined) kept[key] = value;
    else context.warn?.(`${optionPath(name, definition.type, match[0])}: ${match[1]}; ignored`);
  }
  return kept;
}

/**
 * Builds the middleware `name` from its configuration `{ <type>: options }`. Throws a
 * MiddlewareError carrying the key path (`http.middlewares.<name>.<type>.<field>`) when the type
 * is unknown or an option is invalid.
 */
export function buildMiddleware(
  name: string,
  config: Record<string, unknown>,
  context: MiddlewareBuildContext,
): MiddlewareWrapper {
  const base = `http.middlewares.${name}`;
  const keys = config !== null && typeof config === 'object' ? Object.keys(config) : [];
  if (keys.length !== 1) {
    const message =
      keys.length === 0
        ? `${base}: a middleware needs exactly one type (one of ${middlewareTypes().join(', ')})`
        : `${base}: a middleware needs exactly one type, got ${keys.join(' and ')}`;
    throw new MiddlewareError(message, base);
  }
  const given = keys[0]!;
  const definition = findMiddlewareType(given);
  if (definition === undefined) {
    const notYet = NOT_YET.get(given.toLowerCase());
    if (notYet !== undefined) {
      throw new MiddlewareError(`${base}.${given}: ${notYet}`, `${base}.${given}`);
    }
    throw new MiddlewareError(
      `${base}.${given}: unknown middleware type ${JSON.stringify(given)} (known: ${middlewareTypes().join(', ')})`,
      `${base}.${given}`,
    );
  }
  const type = definition.type;
  // A type with no options (`headers: {}`, or an empty label value) is an empty object.
  const raw = withoutIgnoredOptions(name, definition, config[given] ?? {}, context);
  // Reshaped as Traefik's decoder reads labels (`…ipstrategy=true` enables a section empty,
  // indexed keys make lists), then spelled as the schema spells its keys.
  const reshaped = normalizeForSchema(raw, definition.schema);
  const result = definition.schema.safeParse(canonicalizeKeys(reshaped ?? {}, definition.schema));
  if (!result.success) {
    const { message, location } = describeIssues(name, definition, result.error);
    throw new MiddlewareError(message, location, result.error);
  }
  try {
    return definition.build(result.data, context);
  } catch (error) {
    if (error instanceof MiddlewareError) throw error;
    const location = optionPath(name, type, error instanceof OptionError ? error.field : undefined);
    throw new MiddlewareError(`${location}: ${(error as Error).message}`, location, error);
  }
}
