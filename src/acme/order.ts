/**
 * One certificate order, start to finish, with acme-client doing the protocol (JWS, nonces and
 * their `badNonce` retries, order and authorization objects): make sure of the account, place
 * the order, answer each authorization's challenge (HTTP-01, TLS-ALPN-01 or DNS-01, whichever
 * the resolver enables, in the server's order, as lego picks), finalize with a fresh key and
 * download the chain. Failures become an `AcmeOrderError` carrying the ACME problem document.
 *
 * acme-client's `auto()` is not used: it verifies challenges itself first (an HTTP request to
 * port 80 of the domain, DNS lookups), which is wrong behind a proxy and for private CAs, and it
 * loses the problem document of a failed challenge.
 */
import { generateKeyPair as generateKeyPairCallback } from 'node:crypto';
import { promisify } from 'node:util';
import acme from 'acme-client';
import { type AcmeProblem, type AcmeRequestContext, withAcmeContext } from './acme-http.js';
import type { StoredAccount } from './acme-json.js';
import type { ChallengeAnswers } from './challenges.js';
import { type DnsChallengeRecord, type DnsProvider, waitForTxt } from './dns-providers.js';
import { untrustedServerMessage } from './trust.js';

const generateKeyPair = promisify(generateKeyPairCallback);

/** A failed order: a message for people, and what the ACME server said. */
export class AcmeOrderError extends Error {
  override name = 'AcmeOrderError';
  constructor(
    message: string,
    readonly problem?: AcmeProblem,
    /** The server asked us to wait this long (`rateLimited` with `Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** What an order needs to know of its resolver. */
export interface OrderSettings {
  resolver: string;
  caServer: string;
  email?: string | undefined;
  keyType: string;
  preferredChain?: string | undefined;
  eab?: { kid: string; hmacEncoded: string } | undefined;
  http?: { delayMs: number } | undefined;
  tls?: { delayMs: number } | undefined;
  dns?:
    | { provider: DnsProvider; resolvers?: readonly string[] | undefined; checks: boolean; delayMs: number }
    | undefined;
  /** How often to look at a pending challenge or order (acme-client's back-off bounds). */
  pollMinMs: number;
  pollMaxMs: number;
}

/** The certificate obtained: PEM chain and key, in the encodings lego writes. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

/** A new private key of Traefik's `keyType`: PKCS#8 for acme-client, and in lego's encoding (PKCS#1 for RSA, SEC1 for EC) to store. */
export async function generateCertificateKey(keyType: string): Promise<{ pkcs8: string; stored: string }> {
  if (keyType.startsWith('EC')) {
    const namedCurve = keyType === 'EC384' ? 'P-384' : 'P-256';
    const { privateKey } = await generateKeyPair('ec', { namedCurve });
    return {
      pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      stored: privateKey.export({ type: 'sec1', format: 'pem' }) as string,
    };
  }
  const modulusLength = Number(keyType.slice(3)) || 4096;
  const { privateKey } = await generateKeyPair('rsa', { modulusLength });
  return {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    stored: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
  };
}

/**
 * A new account key: RSA as Traefik makes them (4096 bits; Traefik reads the key back as PKCS#1
 * RSA, so an EC account key would strand a user moving back), PKCS#8 PEM for acme-client.
 */
export async function generateAccountKey(bits = 4096): Promise<string> {
  const { privateKey } = await generateKeyPair('rsa', { modulusLength: bits });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** Same host as the CA server: an account registered elsewhere is not reused (as Traefik). */
export function accountMatchesServer(account: StoredAccount, caServer: string): boolean {
  if (!account.registration) return true;
  try {
    return new URL(account.registration.uri).hostname === new URL(caServer).hostname;
  } catch {
    return false;
  }
}

interface OrderRun {
  settings: OrderSettings;
  answers: ChallengeAnswers;
  client: acme.Client;
}

type Challenge = { type: string; url: string; token: string; status: string };
type Authorization = Awaited<ReturnType<acme.Client['getAuthorizations']>>[number];

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** The first challenge the server offers that this resolver can answer. */
function pickChallenge(settings: OrderSettings, authz: Authorization): Challenge | undefined {
  const enabled = new Set<string>();
  if (settings.http) enabled.add('http-01');
  if (settings.tls) enabled.add('tls-alpn-01');
  if (settings.dns) enabled.add('dns-01');
  // A wildcard can only be validated over DNS (RFC 8555 §7.1.3); the server offers only dns-01.
  return (authz.challenges as Challenge[]).find((c) => enabled.has(c.type));
}

/**
 * Answers one authorization's challenge and waits for it to be valid. What it published is
 * added to `cleanups` and removed only once every authorization of the order is done: the two
 * authorizations of `example.com` and `*.example.com` share one TXT name, and a provider's
 * cleanup may remove every value of it (lego cleans up after all, too).
 */
async function answerAuthorization(
  run: OrderRun,
  authz: Authorization,
  cleanups: (() => Promise<void>)[],
): Promise<void> {
  if (authz.status === 'valid') return;
  const domain = authz.identifier.value;
  const challenge = pickChallenge(run.settings, authz);
  if (!challenge) {
    const offered = (authz.challenges as Challenge[]).map((c) => c.type).join(', ');
    throw new AcmeOrderError(`no enabled challenge for ${domain}: the server offers ${offered}`);
  }
  const keyAuthorization = await run.client.getChallengeKeyAuthorization(challenge as never);
  const { settings, answers } = run;
  const cleanup = (undo: () => Promise<void>) => cleanups.push(undo);
  if (challenge.type === 'http-01') {
    answers.addHttp(domain, challenge.token, keyAuthorization);
    cleanup(async () => answers.removeHttp(domain, challenge.token));
    await sleep(settings.http?.delayMs ?? 0);
  } else if (challenge.type === 'tls-alpn-01') {
    const key = await generateCertificateKey('EC256');
    const [, cert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization, key.pkcs8);
    answers.addTls(domain, cert.toString(), key.pkcs8);
    cleanup(async () => answers.removeTls(domain));
    await sleep(settings.tls?.delayMs ?? 0);
  } else {
    const dns = settings.dns!;
    const bare = domain.replace(/^\*\./, '');
    // acme-client hands dns-01 the TXT value (the digest); RAW mode providers want token.thumbprint.
    const record: DnsChallengeRecord = {
      domain: bare,
      fqdn: `_acme-challenge.${bare}.`,
      value: keyAuthorization,
      token: challenge.token,
      keyAuthorization: await rawKeyAuthorization(run.client, challenge),
    };
    cleanup(() => dns.provider.cleanup(record));
    await dns.provider.present(record);
    await sleep(dns.delayMs);
    if (dns.checks)
      await waitForTxt(record, dns.resolvers, dns.provider.propagationTimeoutMs, dns.provider.pollingIntervalMs);
  }
  // Every process answering challenges (workers, a fleet's other instances) has the answer first.
  if (challenge.type !== 'dns-01') await answers.published();
  await run.client.completeChallenge(challenge as never);
  await run.client.waitForValidStatus(challenge as never);
}

/** token.thumbprint, which acme-client only returns hashed for dns-01. */
async function rawKeyAuthorization(client: acme.Client, challenge: Challenge): Promise<string> {
  return client.getChallengeKeyAuthorization({ ...challenge, type: 'http-01' } as never);
}

function newClient(settings: OrderSettings, account: StoredAccount): acme.Client {
  return new acme.Client({
    directoryUrl: settings.caServer,
    accountKey: account.privateKeyPem,
    accountUrl: account.registration?.uri,
    externalAccountBinding: settings.eab ? { kid: settings.eab.kid, hmacKey: settings.eab.hmacEncoded } : undefined,
    backoffAttempts: 30,
    backoffMin: settings.pollMinMs,
    backoffMax: settings.pollMaxMs,
  } as never);
}

/** Registrations in progress, by account: orders started together register the new account once. */
const registrations = new WeakMap<StoredAccount, Promise<void>>();

/**
 * Registers a new account once, however many orders start together (a second `newAccount` for
 * the same key made acme-client send an empty account update, which the CA refuses).
 */
function registerOnce(
  settings: OrderSettings,
  account: StoredAccount,
  saveAccount: (account: StoredAccount) => Promise<void>,
): Promise<void> {
  let pending = registrations.get(account);
  if (pending === undefined) {
    pending = (async () => {
      const client = newClient(settings, account);
      const body = await client.createAccount({
        termsOfServiceAgreed: true,
        ...(settings.email ? { contact: [`mailto:${settings.email}`] } : {}),
      });
      account.registration = { body: body as unknown as Record<string, unknown>, uri: client.getAccountUrl() };
      await saveAccount(account);
    })();
    registrations.set(account, pending);
    // A failed registration is tried again by the next order.
    pending.catch(() => registrations.delete(account));
  }
  return pending;
}

/**
 * Orders a certificate for `names` (the first is the subject's common name). `account` is the
 * stored account or undefined; `saveAccount` is called once a new account is registered.
 */
export async function orderCertificate(
  settings: OrderSettings,
  names: readonly string[],
  account: StoredAccount,
  saveAccount: (account: StoredAccount) => Promise<void>,
  answers: ChallengeAnswers,
  ctx: AcmeRequestContext,
): Promise<IssuedCertificate> {
  return withAcmeContext(ctx, async () => {
    try {
      if (!account.registration) await registerOnce(settings, account, saveAccount);
      const client = newClient(settings, account);
      const order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
      const authorizations = await client.getAuthorizations(order);
      const run: OrderRun = { settings, answers, client };
      const cleanups: (() => Promise<void>)[] = [];
      const results = await Promise.allSettled(
        authorizations.map((authz) => answerAuthorization(run, authz, cleanups)),
      );
      for (const undo of cleanups) await undo().catch(() => undefined);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const key = await generateCertificateKey(settings.keyType);
      const [, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: [...names] }, key.pkcs8);
      const finalized = await client.finalizeOrder(order, csr);
      const certPem = await client.getCertificate(finalized, settings.preferredChain);
      return { certPem, keyPem: key.stored };
    } catch (error) {
      throw asOrderError(error, settings.caServer, ctx);
    }
  });
}

/** Turns whatever failed into an AcmeOrderError with the problem document, when the server sent one. */
function asOrderError(error: unknown, caServer: string, ctx: AcmeRequestContext): AcmeOrderError {
  if (error instanceof AcmeOrderError) return error;
  const untrusted = untrustedServerMessage(ctx.transportError, caServer) ?? untrustedServerMessage(error, caServer);
  if (untrusted) return new AcmeOrderError(untrusted);
  if (ctx.transportError && error instanceof TypeError) {
    // acme-client's interceptor fails on a request that got no answer; the reason is the socket's.
    return new AcmeOrderError(`cannot reach the ACME server ${caServer}: ${ctx.transportError.message}`);
  }
  const problem = ctx.problems.at(-1);
  const message = (error as Error)?.message ?? String(error);
  const code = (error as { code?: string })?.code;
  const text = problem
    ? `${problem.type ?? 'ACME error'}: ${problem.detail ?? message}`
    : code && !message.includes(code)
      ? `${message} (${code})`
      : message;
  const retryAfter = problem?.type === 'urn:ietf:params:acme:error:rateLimited' ? ctx.retryAfterMs : undefined;
  return new AcmeOrderError(text, problem, retryAfter);
}
