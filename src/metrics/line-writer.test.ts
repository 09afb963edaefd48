import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LineWriter } from './line-writer.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** Lines in the file, or none while it does not exist. */
function linesOf(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** Polls until `probe` holds or `ms` pass; returns whether it held. */
async function within(ms: number, probe: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (probe()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return probe();
}

describe('line writer', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-lines-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('without buffering, writes each line within an event-loop turn', async () => {
    const path = join(dir, 'plain.log');
    const writer = new LineWriter(path, 0, quiet);
    writer.write('one');
    assert.ok(await within(300, () => linesOf(path).length === 1));
  });

  it('with bufferingSize N, holds fewer than N lines and writes all N at once when full', async () => {
    const path = join(dir, 'buffered.log');
    const writer = new LineWriter(path, 3, quiet);
    writer.write('one');
    writer.write('two');
    // The once-a-second flush is 1 s away: an unbuffered writer would have written by now.
    assert.equal(await within(300, () => linesOf(path).length > 0), false, 'lines written before the buffer was full');
    writer.write('three');
    assert.ok(await within(300, () => linesOf(path).length === 3), 'the full buffer was not written');
    assert.deepEqual(linesOf(path), ['one', 'two', 'three']);
  });

  it('writes a partly filled buffer within about a second', async () => {
    const path = join(dir, 'timer.log');
    const writer = new LineWriter(path, 50, quiet);
    writer.write('lonely');
    assert.ok(await within(2000, () => linesOf(path).length === 1));
  });
});
