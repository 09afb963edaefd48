/**
 * Compose-style output: every line a replica writes is prefixed with its padded, coloured name
 * (`dynamic-server-1  | …`). Lines are split on `\n` so a chunk boundary never cuts a prefix into
 * the middle of a line; a partial last line is held until its end arrives (or the stream ends).
 */
import pc from 'picocolors';

const PALETTE = [pc.cyan, pc.yellow, pc.green, pc.magenta, pc.blue, pc.red];
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const NOISE = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

/**
 * A pino JSON line made readable for a terminal (`INFO dynamic-api listening port=3000`); any
 * other line is returned unchanged. Pipes and files keep the raw JSON for tools.
 */
export function readableLine(line: string): string {
  if (!line.startsWith('{') || !line.endsWith('}')) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record.level !== 'number' || typeof record.msg !== 'string') return line;
  const level = LEVELS[record.level] ?? String(record.level);
  const paint = record.level >= 50 ? pc.red : record.level >= 40 ? pc.yellow : pc.dim;
  const fields = Object.entries(record)
    .filter(([key]) => !NOISE.has(key))
    .map(([key, value]) => `${pc.dim(`${key}=`)}${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [paint(level.padEnd(5)), record.msg, ...fields].join(' ');
}

/** Where prefixed lines go (process.stdout in the CLI). */
export interface LineSink {
  write(text: string): unknown;
}

/** Picks colours in order and pads names to a common width, like compose. */
export class OutputMultiplexer {
  private next = 0;
  private readonly colours = new Map<string, (text: string) => string>();

  constructor(
    private readonly sink: LineSink,
    /** Reformat JSON log lines for a human (on when the sink is a terminal). */
    private readonly readable = false,
    private width = 0,
  ) {}

  /** Widens the name column (call with every replica name known in advance). */
  reserve(name: string): void {
    this.width = Math.max(this.width, name.length);
  }

  /** A line writer for one replica; feed it chunks, then call `end()`. */
  writer(name: string): { write(chunk: Buffer | string): void; end(): void } {
    this.reserve(name);
    let colour = this.colours.get(name);
    if (colour === undefined) {
      colour = PALETTE[this.next++ % PALETTE.length] as (text: string) => string;
      this.colours.set(name, colour);
    }
    const paint = colour;
    let pending = '';
    const emit = (line: string) => {
      const text = this.readable ? readableLine(line) : line;
      this.sink.write(`${paint(`${name.padEnd(this.width)}  |`)} ${text}\n`);
    };
    return {
      write: (chunk) => {
        pending += chunk.toString();
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          emit(pending.slice(0, newline).replace(/\r$/, ''));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
      },
      end: () => {
        if (pending !== '') emit(pending);
        pending = '';
      },
    };
  }
}
