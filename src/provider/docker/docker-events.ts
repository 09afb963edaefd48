/**
 * Reading Docker's `/events` stream: newline-delimited JSON messages, split across chunks at
 * arbitrary points, each classified into what the provider must do about it.
 */

/** A Docker event message (only the fields used). */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** What an event means to the provider. */
export type EventEffect =
  /** The container is being stopped: stop routing to it now, before it dies. */
  | { kind: 'drain'; id: string }
  /** The container's state may have changed: inspect it again (soon, coalesced). */
  | { kind: 'refresh'; id: string }
  | { kind: 'ignore' };

const REFRESH_ACTIONS = new Set(['start', 'restart', 'die', 'stop', 'pause', 'unpause', 'destroy', 'rename', 'update']);

// Signals that end a process by default, or that images commonly use as STOPSIGNAL. `docker kill
// -s HUP` (reload) must not drain a container that keeps running.
const STOPPING_SIGNALS = new Set([
  '2',
  '3',
  '9',
  '15',
  'SIGINT',
  'SIGQUIT',
  'SIGKILL',
  'SIGTERM',
  'INT',
  'QUIT',
  'KILL',
  'TERM',
]);

/** Classifies one event. */
export function classifyEvent(event: DockerEvent): EventEffect {
  if ((event.Type ?? 'container') !== 'container') return { kind: 'ignore' };
  const id = event.Actor?.ID ?? event.id;
  const action = event.Action ?? event.status ?? '';
  if (id === undefined || id === '') return { kind: 'ignore' };
  if (action === 'kill') {
    const signal = event.Actor?.Attributes?.signal;
    return signal === undefined || STOPPING_SIGNALS.has(signal.toUpperCase())
      ? { kind: 'drain', id }
      : { kind: 'ignore' };
  }
  // `docker stop` emits kill (SIGTERM) first; stop itself arrives after the exit, but a drain is harmless.
  if (action === 'stop') return { kind: 'drain', id };
  // `health_status: healthy` carries the status after a colon.
  if (REFRESH_ACTIONS.has(action) || action.startsWith('health_status')) return { kind: 'refresh', id };
  return { kind: 'ignore' };
}

/** Splits a byte stream into JSON messages; malformed lines go to `onBadLine` instead of throwing. */
export class EventLineDecoder {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly onEvent: (event: DockerEvent) => void,
    private readonly onBadLine: (line: string) => void = () => {},
  ) {}

  /** Feeds one chunk; emits every complete line in it. */
  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') this.emit(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private emit(line: string): void {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      this.onBadLine(line);
      return;
    }
    if (event !== null && typeof event === 'object') this.onEvent(event as DockerEvent);
    else this.onBadLine(line);
  }
}
