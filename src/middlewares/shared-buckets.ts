/**
 * Token buckets kept in Redis (`rateLimit.redis`, Traefik 3.4's distributed rate limit): every
 * Switchyard instance that names the same Redis shares one bucket per middleware and source, so a
 * fleet of N instances allows the limit once, not N times.
 *
 * One Lua script takes a token atomically; it reads the clock of the Redis server (`TIME`), so
 * instances whose clocks differ still refill the bucket at one rate. Buckets expire once they
 * would be full again. Connections are shared by every middleware naming the same server and
 * options, for the life of the process (a configuration reload must not open new ones), and
 * opened by the first request;
 * `poolSize` connections are used in turn (ioredis pipelines requests on each).
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';

/** `rateLimit.redis` (Traefik's keys). */
export interface SharedBucketSettings {
  endpoints: string[];
  username?: string | undefined;
  password?: string | undefined;
  db: number;
  tls?:
    | { ca?: string | undefined; cert?: string | undefined; key?: string | undefined; insecureSkipVerify: boolean }
    | undefined;
  poolSize: number;
  maxActiveConns: number;
  /** ms */
  dialTimeout: number;
  /** ms: a command without an answer this long fails (the request gets 500). */
  readTimeout: number;
}

const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1])
local ts = tonumber(bucket[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
return wait
`;

type ScriptedRedis = Redis & { takeToken(key: string, rate: number, burst: number): Promise<number> };

/** Connections by settings, shared across reloads. */
const pools = new Map<string, ScriptedRedis[]>();

function read(file: string | undefined, key: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`redis.tls.${key}: cannot read ${file}: ${(error as Error).message}`);
  }
}

function connectionOptions(settings: SharedBucketSettings): RedisOptions {
  const endpoint = settings.endpoints[0] ?? 'localhost:6379';
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(endpoint.replace(/^redis:\/\//, ''));
  const tls = settings.tls;
  return {
    host: match?.[1] || 'localhost',
    port: match?.[2] === undefined ? 6379 : Number(match[2]),
    db: settings.db,
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(tls === undefined
      ? {}
      : {
          tls: {
            ca: read(tls.ca, 'ca'),
            cert: read(tls.cert, 'cert'),
            key: read(tls.key, 'key'),
            rejectUnauthorized: !tls.insecureSkipVerify,
          },
        }),
    // Connect on the first request, not at build: `check` and `explain` build tables too.
    lazyConnect: true,
    connectTimeout: settings.dialTimeout,
    commandTimeout: settings.readTimeout,
    // While (re)connecting, commands wait in ioredis's queue up to `commandTimeout`, then fail
    // (that request gets 500); a command cut by a lost connection fails at once, not retried.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(2000, 50 * 2 ** attempt),
  };
}

/** The shared connections for `settings` (made on first use, and again after closeSharedBuckets). */
function pool(key: string, settings: SharedBucketSettings): ScriptedRedis[] {
  let clients = pools.get(key);
  if (clients === undefined) {
    const size = Math.max(
      1,
      Math.min(settings.poolSize, settings.maxActiveConns > 0 ? settings.maxActiveConns : Infinity),
    );
    clients = Array.from({ length: size }, () => {
      const client = new Redis(connectionOptions(settings)) as ScriptedRedis;
      // Failures surface on the commands (500 for that request); the event would only print.
      client.on('error', () => undefined);
      client.defineCommand('takeToken', { numberOfKeys: 1, lua: TAKE });
      return client;
    });
    pools.set(key, clients);
  }
  return clients;
}

/** Buckets of one middleware in Redis. */
export class SharedBuckets {
  private readonly key: string;
  private next = 0;

  /** `rate` in tokens per ms. */
  constructor(
    private readonly settings: SharedBucketSettings,
    private readonly prefix: string,
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.key = JSON.stringify(settings);
    pool(this.key, settings);
  }

  /** Takes a token for `source`: 0 when allowed, else the ms until one is available. Rejects when Redis fails. */
  take(source: string): Promise<number> {
    const clients = pools.get(this.key) ?? pool(this.key, this.settings);
    const client = clients[this.next++ % clients.length] as ScriptedRedis;
    return client.takeToken(`rate:${this.prefix}:${source}`, this.rate, this.burst);
  }
}

/** Closes every shared connection (process shutdown, tests). */
export function closeSharedBuckets(): void {
  for (const clients of pools.values()) for (const client of clients) client.disconnect();
  pools.clear();
}
