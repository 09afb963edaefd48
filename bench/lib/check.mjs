// Readiness and correctness checks made through a system before it is measured.
import http from 'node:http';
import { apiBody, BIG_SIZE, bigBody } from './payload.mjs';

function get(url, agent, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Poll `GET url` until it answers 200, the process exits, or `deadlineMs` passes.
 * Resolves to { ok, reason }.
 */
export async function waitReady(url, handle, deadlineMs = 10_000) {
  const until = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < until) {
    if (handle?.exited) {
      const how = handle.spawnError
        ? handle.spawnError.message
        : `exited (code ${handle.exitCode}, signal ${handle.signal})`;
      return { ok: false, reason: `process ${how}` };
    }
    try {
      const res = await get(url, false, 1000);
      if (res.status === 200) return { ok: true };
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.code || err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: false, reason: `no 200 from ${url} within ${deadlineMs / 1000} s (last: ${last})` };
}

/**
 * Check that a system proxies correctly: 20 sequential `GET /api` over one keep-alive
 * connection must each return one backend's exact body and, when `backendIds` has several,
 * reach every backend unless `everyBackend` is false (a per-connection relay); strict alternation is recorded; `GET /big` must be 65,536 intact bytes.
 */
export async function checkCorrectness(base, backendIds, { everyBackend = true } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const expected = new Map(backendIds.map((id) => [id, apiBody(id)]));
  const problems = [];
  const seen = [];
  try {
    for (let i = 0; i < 20; i++) {
      const res = await get(`${base}/api`, agent);
      if (res.status !== 200) {
        problems.push(`/api request ${i + 1}: HTTP ${res.status}`);
        break;
      }
      let id;
      try {
        id = JSON.parse(res.body.toString('utf8')).id;
      } catch {
        problems.push(`/api request ${i + 1}: body is not JSON`);
        break;
      }
      const want = expected.get(id);
      if (!want) {
        problems.push(`/api request ${i + 1}: unknown backend id ${JSON.stringify(id)}`);
        break;
      }
      if (!want.equals(res.body)) {
        problems.push(`/api request ${i + 1}: body differs from what ${id} sent`);
        break;
      }
      seen.push(id);
    }
    const counts = Object.fromEntries(backendIds.map((id) => [id, seen.filter((s) => s === id).length]));
    const alternating =
      backendIds.length > 1 ? seen.length === 20 && seen.every((id, i) => i === 0 || id !== seen[i - 1]) : null;
    if (problems.length === 0 && everyBackend && backendIds.length > 1) {
      const missing = backendIds.filter((id) => counts[id] === 0);
      if (missing.length) problems.push(`/api never reached ${missing.join(', ')} in 20 requests`);
    }

    const big = await get(`${base}/big`, agent, 5000);
    if (big.status !== 200) problems.push(`/big: HTTP ${big.status}`);
    else if (big.body.length !== BIG_SIZE) problems.push(`/big: ${big.body.length} bytes instead of ${BIG_SIZE}`);
    else if (!big.body.equals(bigBody())) problems.push('/big: body corrupted');

    return { ok: problems.length === 0, problems, counts, alternating, sequence: seen };
  } catch (err) {
    problems.push(`request failed: ${err.code || err.message}`);
    return { ok: false, problems, counts: {}, alternating: false, sequence: seen };
  } finally {
    agent.destroy();
  }
}
