/**
 * DNS-01 providers: something that publishes and removes the TXT record
 * `_acme-challenge.<domain>`. Traefik delegates to lego's providers, configured by environment
 * variables; Switchyard implements two of lego's generic ones, with lego's variables and calls:
 *
 * - `exec`: runs `EXEC_PATH present|cleanup <fqdn> <value>` (`EXEC_MODE=RAW`:
 *   `present|cleanup <domain.> -- <token> <keyAuth>`); a non-zero exit fails the challenge.
 * - `httpreq`: `POST HTTPREQ_ENDPOINT/present|cleanup` with `{"fqdn","value"}` (RAW:
 *   `{"domain","token","keyAuth"}`), basic auth from `HTTPREQ_USERNAME`/`HTTPREQ_PASSWORD`.
 *
 * Any other provider name is a configuration error that names these two.
 */
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { ACME_DNS_PROVIDERS } from '../config/acme-schema.js';

/** One DNS-01 challenge: the record to publish and the raw values behind it. */
export interface DnsChallengeRecord {
  /** The validated name, without trailing dot (`example.com`). */
  domain: string;
  /** `_acme-challenge.<domain>.` */
  fqdn: string;
  /** The TXT value: base64url(SHA-256(keyAuthorization)). */
  value: string;
  token: string;
  keyAuthorization: string;
}

/** A DNS provider: publishes and removes a challenge record. */
export interface DnsProvider {
  readonly name: string;
  present(record: DnsChallengeRecord): Promise<void>;
  cleanup(record: DnsChallengeRecord): Promise<void>;
  /** How long to wait for the record to be visible, and how often to look (lego's `*_PROPAGATION_TIMEOUT`, `*_POLLING_INTERVAL`). */
  readonly propagationTimeoutMs: number;
  readonly pollingIntervalMs: number;
}

/** The providers implemented, by Traefik's `dnsChallenge.provider` name. */
export const DNS_PROVIDERS = ACME_DNS_PROVIDERS;

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value.trim() === '') return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a number of seconds, got ${JSON.stringify(value)}`);
  return n * 1000;
}

function required(env: NodeJS.ProcessEnv, name: string, provider: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`the ${provider} DNS provider needs ${name}`);
  return value;
}

function execProvider(env: NodeJS.ProcessEnv): DnsProvider {
  const program = required(env, 'EXEC_PATH', 'exec');
  const raw = (env.EXEC_MODE ?? '').toUpperCase() === 'RAW';
  const run = (action: 'present' | 'cleanup', record: DnsChallengeRecord) =>
    new Promise<void>((resolve, reject) => {
      const args = raw
        ? [action, `${record.domain}.`, '--', record.token, record.keyAuthorization]
        : [action, record.fqdn, record.value];
      execFile(program, args, { timeout: 120_000, env }, (error, stdout, stderr) => {
        if (!error) return resolve();
        const output = `${stdout}${stderr}`.trim().slice(0, 500);
        reject(
          new Error(`exec DNS provider: ${program} ${action} failed: ${error.message}${output ? `: ${output}` : ''}`),
        );
      });
    });
  return {
    name: 'exec',
    present: (record) => run('present', record),
    cleanup: (record) => run('cleanup', record),
    propagationTimeoutMs: seconds(env, 'EXEC_PROPAGATION_TIMEOUT', 60),
    pollingIntervalMs: seconds(env, 'EXEC_POLLING_INTERVAL', 3),
  };
}

function httpreqProvider(env: NodeJS.ProcessEnv): DnsProvider {
  const endpoint = new URL(required(env, 'HTTPREQ_ENDPOINT', 'httpreq'));
  const raw = (env.HTTPREQ_MODE ?? '').toUpperCase() === 'RAW';
  const user = env.HTTPREQ_USERNAME;
  const password = env.HTTPREQ_PASSWORD;
  const call = async (action: 'present' | 'cleanup', record: DnsChallengeRecord) => {
    const url = new URL(`${endpoint.pathname.replace(/\/+$/, '')}/${action}`, endpoint);
    const body = raw
      ? { domain: record.domain, token: record.token, keyAuth: record.keyAuthorization }
      : { fqdn: record.fqdn, value: record.value };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (user && password) headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(seconds(env, 'HTTPREQ_HTTP_TIMEOUT', 30)),
    });
    if (!response.ok) {
      const text = (await response.text()).slice(0, 500);
      throw new Error(`httpreq DNS provider: POST ${url.href} answered ${response.status}${text ? `: ${text}` : ''}`);
    }
  };
  return {
    name: 'httpreq',
    present: (record) => call('present', record),
    cleanup: (record) => call('cleanup', record),
    propagationTimeoutMs: seconds(env, 'HTTPREQ_PROPAGATION_TIMEOUT', 60),
    pollingIntervalMs: seconds(env, 'HTTPREQ_POLLING_INTERVAL', 2),
  };
}

/** The provider named `name`, configured from `env`; throws with a clear message otherwise. */
export function createDnsProvider(name: string, env: NodeJS.ProcessEnv): DnsProvider {
  switch (name.trim().toLowerCase()) {
    case 'exec':
      return execProvider(env);
    case 'httpreq':
      return httpreqProvider(env);
    default:
      throw new Error(unimplementedDnsMessage(name));
  }
}

function unimplementedDnsMessage(name: string): string {
  return `the DNS provider ${JSON.stringify(name)} is not implemented; implemented: ${DNS_PROVIDERS.join(', ')} (lego's exec and httpreq, with their environment variables)`;
}

/** True when `name` is one of DNS_PROVIDERS. */
export function isImplementedDnsProvider(name: string): boolean {
  return (DNS_PROVIDERS as readonly string[]).includes(name.trim().toLowerCase());
}

/**
 * A provider Switchyard does not implement (one of lego's 150): the resolver exists, so routers
 * naming it are served with the default certificate, and each order fails with this message
 * (status, API, logs) instead of the whole process refusing to start.
 */
export function unimplementedDnsProvider(name: string): DnsProvider {
  const message = unimplementedDnsMessage(name);
  return {
    name,
    present: () => Promise.reject(new Error(message)),
    cleanup: () => Promise.resolve(),
    propagationTimeoutMs: 0,
    pollingIntervalMs: 0,
  };
}

/**
 * Waits until `record`'s value is visible in TXT answers for its fqdn, asked of `resolvers`
 * (`dnsChallenge.resolvers`, `host:port`) or the system's, before the CA is told to look.
 */
export async function waitForTxt(
  record: DnsChallengeRecord,
  resolvers: readonly string[] | undefined,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  if (resolvers && resolvers.length > 0) resolver.setServers([...resolvers]);
  const name = record.fqdn.replace(/\.$/, '');
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const answers = await resolver.resolveTxt(name);
      if (answers.some((chunks) => chunks.join('') === record.value)) return;
      last = `TXT answers: ${JSON.stringify(answers.map((c) => c.join('')))}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() + intervalMs > deadline) {
      throw new Error(
        `the TXT record ${record.fqdn} did not show the challenge value within ${timeoutMs / 1000} s (${last})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
