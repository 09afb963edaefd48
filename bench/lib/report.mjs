// Medians across rounds and the Markdown table.

/** Median of the finite numbers in `values`, or null when there are none. */
export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const METRICS = ['rps', 'cpuUsPerReq', 'p50', 'p99', 'peakRssMiB', 'bigMiBps', 'bigRps'];

/** Fold the per-round results of one system into its summary row. */
export function summarise(name, label, turns) {
  const ok = turns.filter((t) => t.status === 'ok');
  const row = { system: name, label, rounds: turns.length, okRounds: ok.length, notes: [] };
  if (ok.length === 0) {
    const first = turns[0] ?? { status: 'not run' };
    row.status = first.status;
    row.reason = first.reason;
    return row;
  }
  row.status = 'ok';
  for (const m of METRICS) row[m] = median(ok.map((t) => t[m]));
  const failed = turns.filter((t) => t.status !== 'ok');
  if (failed.length)
    row.notes.push(`${failed.length} of ${turns.length} rounds ${failed[0].status}: ${failed[0].reason}`);
  const errors = ok.reduce((n, t) => n + t.errors + t.bigErrors, 0);
  if (errors) row.notes.push(`wrk saw ${errors.toLocaleString('en-US')} errors (non-2xx or socket) over all rounds`);
  if (ok.some((t) => t.check && t.check.alternating === false && Object.keys(t.check.counts).length > 1)) {
    row.notes.push(`not strictly alternating in the check: ${JSON.stringify(ok[0].check.counts)}`);
  }
  return row;
}

const dash = '—';
const fmt = (v, digits) =>
  v === null || v === undefined
    ? dash
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The Markdown table, ratios taken against nginx and fastify from the same run. */
export function table(rows) {
  const byName = new Map(rows.map((r) => [r.system, r]));
  const ref = (name) => {
    const r = byName.get(name);
    return r && r.status === 'ok' ? r.rps : null;
  };
  const nginxRps = ref('nginx');
  const fastifyRps = ref('fastify-reply-from');
  const lines = [
    '| system | req/s | × nginx | × fastify | CPU µs/req | p50 ms | p99 ms | peak RSS MiB | 64 KiB MiB/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const notes = [];
  for (const r of rows) {
    if (r.status !== 'ok') {
      const shown = r.status === 'failed check' ? 'FAILED' : r.status;
      lines.push(`| ${r.system} | ${shown} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} | ${dash} |`);
      notes.push(`- ${r.system}: ${shown} — ${r.reason}`);
      continue;
    }
    const ratio = (base) => (base ? fmt(r.rps / base, 2) : dash);
    lines.push(
      `| ${r.system} | ${fmt(r.rps, 0)} | ${ratio(nginxRps)} | ${ratio(fastifyRps)} | ${fmt(r.cpuUsPerReq, 1)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.peakRssMiB, 1)} | ${fmt(r.bigMiBps, 1)} |`,
    );
    for (const n of r.notes) notes.push(`- ${r.system}: ${n}`);
  }
  return { table: lines.join('\n'), notes: notes.join('\n') };
}
