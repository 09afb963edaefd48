/**
 * A steady loop of idempotent GETs through the proxy, for the scenarios where replicas come
 * and go: a few keep-alive workers, bounded in count and time, each request with its own deadline
 * so that one stuck on a leaving server shows up as "timed out" instead of stalling the test.
 */
import { Agent, request } from 'node:http';
import { waitFor } from './http.js';

/** Bounds and shape of the loop. */
export interface SteadyLoadOptions {
  url: string;
  /** Concurrent workers (default 4). */
  workers?: number;
  /** The loop runs at least until this many requests were sent, even after `finish()`. */
  minRequests: number;
  /** Hard bounds: the loop ends at this many requests or after this long, whatever happens. */
  maxRequests: number;
  maxMs: number;
  /** A request with no complete answer after this long counts as timed out (default 5 s). */
  timeoutMs?: number;
}

/** What the loop saw. */
export interface LoadFigures {
  sent: number;
  ok: number;
  /** Answered with another status than 200, or cut. */
  failed: number;
  /** No complete answer within `timeoutMs`. */
  timedOut: number;
  /** The first few problems, for the assertion message. */
  problems: string[];
  /** Requests per `X-Served-By`. */
  servedBy: Map<string, number>;
  ms: number;
}

/** A running loop. */
export interface SteadyLoad {
  readonly figures: LoadFigures;
  /** Resolves once `count` requests were sent (rejects after `timeoutMs`). */
  sentAtLeast(count: number, timeoutMs: number): Promise<void>;
  /** Lets the loop end (once `minRequests` were sent) and resolves with the figures. */
  finish(): Promise<LoadFigures>;
}

type Outcome = { status: number; servedBy: string } | { error: string; timedOut: boolean };

function get(url: string, agent: Agent, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, servedBy: String(res.headers['x-served-by'] ?? '') }));
      res.on('error', (error) => resolve({ error: error.message, timedOut: false }));
    });
    // Socket inactivity: a request waiting on a server that never answers trips it.
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error: error.message, timedOut: error.message.startsWith('no answer') }));
    req.end();
  });
}

/** Starts the loop at once. */
export function startSteadyLoad(options: SteadyLoadOptions): SteadyLoad {
  const workers = options.workers ?? 4;
  const timeoutMs = options.timeoutMs ?? 5000;
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const figures: LoadFigures = { sent: 0, ok: 0, failed: 0, timedOut: 0, problems: [], servedBy: new Map(), ms: 0 };
  const started = Date.now();
  let finishing = false;
  const more = () =>
    figures.sent < options.maxRequests &&
    Date.now() - started < options.maxMs &&
    (!finishing || figures.sent < options.minRequests);
  const note = (problem: string) => {
    if (figures.problems.length < 5) figures.problems.push(`${new Date().toISOString()} ${problem}`);
  };
  const worker = async () => {
    while (more()) {
      figures.sent++;
      const outcome = await get(options.url, agent, timeoutMs);
      if ('error' in outcome) {
        if (outcome.timedOut) figures.timedOut++;
        else figures.failed++;
        note(outcome.error);
      } else if (outcome.status !== 200) {
        figures.failed++;
        note(`status ${outcome.status} from ${outcome.servedBy || 'the proxy'}`);
      } else {
        figures.ok++;
        figures.servedBy.set(outcome.servedBy, (figures.servedBy.get(outcome.servedBy) ?? 0) + 1);
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => {
    agent.destroy();
    figures.ms = Date.now() - started;
    return figures;
  });
  return {
    figures,
    sentAtLeast: (count, waitMs) =>
      waitFor(() => figures.sent >= count, { timeout: waitMs, interval: 20, what: `${count} requests sent` }).then(
        () => undefined,
      ),
    finish: () => {
      finishing = true;
      return done;
    },
  };
}

/** One line for the test log: `3012 sent, 3012 ok, 0 failed, 0 timed out in 14.2 s`. */
export function describeFigures(figures: LoadFigures): string {
  return `${figures.sent} sent, ${figures.ok} ok, ${figures.failed} failed, ${figures.timedOut} timed out in ${(
    figures.ms / 1000
  ).toFixed(1)} s`;
}
