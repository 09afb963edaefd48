// Switchyard Departures: polls the API through the proxy and shows which replica answered each request.
// One request per poll on purpose: with strict round-robin over two replicas, two requests per poll
// would always send the first to one replica and the second to the other, hiding the alternation.
const ENDPOINT = '/api/departures?session=1';
const POLL_MS = 2000;
const TIMEOUT_MS = 5000;
const HISTORY_SIZE = 20;

const $ = (id) => document.getElementById(id);
const els = {
  status: $('api-status'),
  servedBy: $('served-by'),
  updated: $('updated'),
  station: $('station'),
  board: $('board'),
  rows: $('departures'),
  empty: $('board-empty'),
  tally: $('tally'),
  total: $('total'),
  history: $('history'),
  clock: $('clock'),
  visits: $('session-visits'),
  sessionReplica: $('session-replica'),
  sessionRequests: $('session-requests'),
  sessionNote: $('session-note'),
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Everything learnt since the page opened. */
const state = {
  replicas: new Map(), // id -> { letter, hue, count, item }
  history: [], // { replica } or { error }
  answers: 0,
  sessionRequests: 0,
  failures: 0,
  lastSuccess: 0,
  lastReplica: '',
  lastSessionReplica: '',
};

/** FNV-1a, so a replica keeps its colour across reloads. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hueDistance(a, b) {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

/** A stable hue from the id, nudged by the golden angle while it is too close to one already on screen. */
function hueFor(id) {
  let hue = hash(id) % 360;
  const taken = [...state.replicas.values()].map((r) => r.hue);
  for (let i = 0; i < 12 && taken.some((t) => hueDistance(t, hue) < 40); i++) hue = (hue + 137.5) % 360;
  return Math.round(hue);
}

function letterFor(index) {
  return index < 26 ? String.fromCharCode(65 + index) : `R${index + 1}`;
}

function replicaInfo(id) {
  let info = state.replicas.get(id);
  if (!info) {
    info = { letter: letterFor(state.replicas.size), hue: hueFor(id), count: 0, item: null };
    state.replicas.set(id, info);
  }
  return info;
}

function paint(el, id) {
  const info = replicaInfo(id);
  el.style.setProperty('--hue', String(info.hue));
  el.dataset.replica = id;
  return info;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

class ApiError extends Error {}

async function fetchBoard() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let res;
  try {
    res = await fetch(ENDPOINT, {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      signal: controller.signal,
    });
  } catch (err) {
    throw new ApiError(err && err.name === 'AbortError' ? 'timed out' : 'network error');
  } finally {
    clearTimeout(timer);
  }
  const type = res.headers.get('content-type') || '';
  if (!type.includes('json')) throw new ApiError(`HTTP ${res.status}, not JSON`);
  let data;
  try {
    data = await res.json();
  } catch {
    throw new ApiError(`HTTP ${res.status}, invalid JSON`);
  }
  if (!res.ok) throw new ApiError(`HTTP ${res.status}${data?.error ? ` ${data.error}` : ''}`);
  if (!data || !Array.isArray(data.departures)) throw new ApiError('unexpected answer');
  const replica = String(data.servedBy?.replica || res.headers.get('x-served-by') || 'unknown');
  return { data, replica };
}

function formatTime(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '--:--' : timeFormat.format(t);
}

function statusText(d) {
  if (d.status === 'cancelled') return 'Cancelled';
  if (d.status === 'delayed') return `Delayed +${d.delayMinutes} min`;
  return 'On time';
}

function departureRow(d) {
  const row = el('tr');
  row.dataset.departure = String(d.id);
  row.dataset.status = String(d.status);

  const time = el('td', 'time');
  const scheduled = el('time', '', formatTime(d.scheduled));
  scheduled.dateTime = String(d.scheduled);
  time.append(scheduled);
  if (d.status === 'delayed' && d.expected) time.append(el('span', 'sub', `exp. ${formatTime(d.expected)}`));

  const dest = el('td', 'dest');
  dest.append(el('strong', '', String(d.destination)));
  if (Array.isArray(d.via) && d.via.length > 0) dest.append(el('span', 'sub', `via ${d.via.join(', ')}`));

  const platform = el('td', 'platform');
  const box = el('span', 'platform-box', String(d.platform));
  box.setAttribute('aria-label', `Platform ${d.platform}`);
  platform.append(box);

  const train = el('td', 'train', String(d.train));
  train.append(el('span', 'sub', String(d.operator)));

  const status = el('td', 'status');
  status.append(el('span', 'status-pill', statusText(d)));

  row.append(time, dest, platform, train, status);
  return row;
}

function renderBoard(data) {
  if (data.station) els.station.textContent = String(data.station);
  els.rows.replaceChildren(...data.departures.map(departureRow));
  els.empty.hidden = data.departures.length > 0;
  if (data.departures.length === 0) els.empty.textContent = 'No departures in the next hour.';
  els.board.dataset.stale = 'false';
}

function flash(node) {
  node.classList.remove('flash');
  void node.offsetWidth; // restart the animation
  node.classList.add('flash');
}

function renderServedBy(replica) {
  paint(els.servedBy, replica);
  els.servedBy.textContent = replica;
  els.servedBy.title = `Replica ${replicaInfo(replica).letter}`;
  if (replica !== state.lastReplica) flash(els.servedBy);
  state.lastReplica = replica;
}

function renderTally(current) {
  const max = Math.max(1, ...[...state.replicas.values()].map((r) => r.count));
  for (const [id, info] of state.replicas) {
    if (!info.item) {
      const li = el('li');
      li.dataset.replica = id;
      li.style.setProperty('--hue', String(info.hue));
      const letter = el('span', 'letter', info.letter);
      letter.style.setProperty('--hue', String(info.hue));
      letter.setAttribute('aria-hidden', 'true');
      const bar = el('span', 'bar');
      bar.append(el('span'));
      li.append(letter, el('span', 'name', id), el('span', 'count', '0'), bar);
      li.querySelector('.name').title = id;
      els.tally.append(li);
      info.item = li;
    }
    info.item.querySelector('.count').textContent = String(info.count);
    info.item.querySelector('.bar span').style.width = `${(info.count / max) * 100}%`;
    info.item.classList.toggle('current', id === current);
    info.item.setAttribute('aria-label', `${id}: ${info.count} answers`);
  }
  els.total.textContent = String(state.answers);
}

function renderHistory() {
  const chips = state.history.map((entry, i) => {
    const n = state.history.length - i - 1;
    const ago = n === 0 ? 'latest' : `${n} answer${n === 1 ? '' : 's'} ago`;
    if (entry.error) {
      const chip = el('li', 'chip error', '×');
      chip.dataset.status = 'error';
      chip.title = `Failed: ${entry.error} (${ago})`;
      chip.setAttribute('aria-label', chip.title);
      return chip;
    }
    const chip = el('li', 'chip');
    const info = paint(chip, entry.replica);
    chip.textContent = info.letter;
    chip.title = `${entry.replica} (${ago})`;
    chip.setAttribute('aria-label', chip.title);
    return chip;
  });
  els.history.replaceChildren(...chips);
}

function pushHistory(entry) {
  state.history.push(entry);
  if (state.history.length > HISTORY_SIZE) state.history.shift();
  renderHistory();
}

function renderSession(session, replica) {
  if (!session || typeof session.visits !== 'number') return;
  state.sessionRequests += 1;
  els.visits.textContent = String(session.visits);
  paint(els.sessionReplica, replica);
  els.sessionReplica.textContent = replica;
  els.sessionRequests.textContent = String(state.sessionRequests);
  let note = '';
  if (session.visits === 1 && state.sessionRequests > 1)
    note = `${replica} had never seen this session: it starts at 1.`;
  else if (state.lastSessionReplica && replica !== state.lastSessionReplica)
    note = `Another replica answered: ${replica} counts this session on its own.`;
  els.sessionNote.textContent = note;
  state.lastSessionReplica = replica;
}

function setStatus(kind, text) {
  els.status.dataset.state = kind;
  els.status.textContent = text;
}

function renderUpdated() {
  if (!state.lastSuccess) return;
  const seconds = Math.round((Date.now() - state.lastSuccess) / 1000);
  els.updated.textContent = seconds <= 1 ? 'Updated just now' : `Updated ${seconds} s ago`;
}

async function poll() {
  const started = Date.now();
  try {
    const { data, replica } = await fetchBoard();
    state.failures = 0;
    state.lastSuccess = Date.now();
    state.answers += 1;
    replicaInfo(replica).count += 1;
    renderBoard(data);
    renderServedBy(replica);
    renderTally(replica);
    pushHistory({ replica });
    renderSession(data.session, replica);
    setStatus('ok', `Live · polling every ${POLL_MS / 1000} s`);
  } catch (err) {
    state.failures += 1;
    const reason = err instanceof ApiError ? err.message : 'unexpected error';
    setStatus('error', `API unreachable — retrying (${reason}, ${state.failures} failed in a row)`);
    els.board.dataset.stale = String(els.rows.childElementCount > 0);
    if (els.rows.childElementCount === 0) els.empty.textContent = 'API unreachable — retrying…';
    pushHistory({ error: reason });
    if (!(err instanceof ApiError)) console.error(err);
  }
  renderUpdated();
  setTimeout(poll, Math.max(0, POLL_MS - (Date.now() - started)));
}

function tick() {
  els.clock.textContent = clockFormat.format(Date.now());
  renderUpdated();
}

tick();
setInterval(tick, 1000);
poll();
