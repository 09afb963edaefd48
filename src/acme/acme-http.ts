/**
 * acme-client's HTTP layer, adjusted once for Switchyard. acme-client sends every request
 * through one shared axios instance, so what differs per resolver (the CAs to trust) and what we
 * must learn from the answers (the ACME problem document and `Retry-After`, which acme-client
 * reduces to a message) travel in an AsyncLocalStorage context: each order runs inside
 * `withAcmeContext`, and two interceptors read and fill that context.
 *
 * acme-client's own retry of 429 and 5xx answers is turned off: it would hold an order for the
 * whole `Retry-After`; the resolver's back-off (renewal.ts `retryDelay`) waits instead, and
 * honours `Retry-After`. Its retry of `badNonce` (in the signed-request path) stays on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import acme from 'acme-client';

/** An RFC 7807 problem document as ACME servers send it (`urn:ietf:params:acme:error:…`). */
export interface AcmeProblem {
  type?: string;
  detail?: string;
  status?: number;
  subproblems?: AcmeProblem[];
  identifier?: { type: string; value: string };
}

/** What one order carries through acme-client: its trust, and what the server answered. */
export interface AcmeRequestContext {
  /** The HTTPS agent with the CAs to trust for this resolver's `caServer`, when not the defaults. */
  agent?: Agent | undefined;
  /** The last problem documents seen, newest last (also an invalid challenge's `error`). */
  problems: AcmeProblem[];
  /** `Retry-After` of the last 429 or 503, in ms. */
  retryAfterMs?: number | undefined;
  /** The last connection failure (refused, untrusted certificate), which acme-client loses. */
  transportError?: Error | undefined;
}

const context = new AsyncLocalStorage<AcmeRequestContext>();

/** Requests to the ACME server give up after this long (Traefik's `clientTimeout` default is 2 min). */
const REQUEST_TIMEOUT_MS = 60_000;

function parseRetryAfter(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

interface SeenResponse {
  status?: number;
  headers?: Record<string, unknown>;
  data?: unknown;
}

function record(response: SeenResponse | undefined): void {
  const current = context.getStore();
  if (!current || !response) return;
  const data = response.data as Record<string, unknown> | undefined;
  if ((response.status ?? 0) >= 400 && data && typeof data.type === 'string') {
    current.problems.push(data as AcmeProblem);
  } else if (data && data.status === 'invalid' && data.error && typeof data.error === 'object') {
    // An invalid challenge or authorization carries its problem in `error`, on a 200 answer.
    current.problems.push(data.error as AcmeProblem);
  }
  if (response.status === 429 || response.status === 503) {
    const retryAfter = parseRetryAfter(response.headers?.['retry-after']);
    if (retryAfter !== undefined) current.retryAfterMs = retryAfter;
  }
}

/**
 * An HTTPS agent that notes connection failures in the current order's context: acme-client's
 * interceptor turns a request that got no answer into a TypeError, losing the reason (an
 * untrusted certificate, a refused connection) that the user needs to read.
 */
class RecordingAgent extends Agent {
  override createConnection(options: object, callback?: (error: Error | null, socket: Duplex) => void): Duplex {
    const create = Agent.prototype.createConnection as unknown as (this: Agent, o: object, c?: unknown) => Duplex;
    const socket = create.call(this, options, callback);
    const current = context.getStore();
    if (current) socket.once('error', (error: Error) => (current.transportError = error));
    return socket;
  }
}

/** The agent for one resolver's ACME server: Node's trust store, or `ca` when given. */
export function createAcmeAgent(ca?: string[]): Agent {
  const options: AgentOptions = { keepAlive: true };
  if (ca) options.ca = ca;
  return new RecordingAgent(options);
}

let installed = false;

/** Installs the interceptors on acme-client's axios instance (once per process). */
export function installAcmeHttp(): void {
  if (installed) return;
  installed = true;
  const axios = acme.axios;
  (axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings.retryMaxAttempts = 0;
  axios.interceptors.request.use((config) => {
    const agent = context.getStore()?.agent;
    if (agent) config.httpsAgent = agent;
    config.timeout = REQUEST_TIMEOUT_MS;
    return config;
  });
  axios.interceptors.response.use(
    (response) => {
      record(response as SeenResponse);
      return response;
    },
    (error: { response?: SeenResponse }) => {
      record(error?.response);
      return Promise.reject(error);
    },
  );
}

/** Runs `work` with `ctx` as the context of every ACME request it makes. */
export function withAcmeContext<T>(ctx: AcmeRequestContext, work: () => Promise<T>): Promise<T> {
  installAcmeHttp();
  return context.run(ctx, work);
}
