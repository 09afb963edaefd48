import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../test/helpers/http.js';
import { LineWriter } from './line-writer.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** Lines in the file, or none while it does not exist. */
function linesOf(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
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
    await waitFor(() => linesOf(path).length === 1, { timeout: 300, interval: 10, what: 'the line to be written' });
  });

  it('with bufferingSize N, holds fewer than N lines and writes all N at once when full', async () => {
    const path = join(dir, 'buffered.log');
    const writer = new LineWriter(path, 3, quiet);
    writer.write('one');
    writer.write('two');
    // The once-a-second flush is 1 s away: an unbuffered writer would have written by now.
    const early = await waitFor(() => linesOf(path).length > 0, { timeout: 300, interval: 10 }).then(
      () => true,
      () => false,
    );
    assert.equal(early, false, 'lines written before the buffer was full');
    writer.write('three');
    await waitFor(() => linesOf(path).length === 3, {
      timeout: 300,
      interval: 10,
      what: 'the full buffer to be written',
    });
    assert.deepEqual(linesOf(path), ['one', 'two', 'three']);
  });

  it('writes a partly filled buffer within about a second', async () => {
    const path = join(dir, 'timer.log');
    const writer = new LineWriter(path, 50, quiet);
    writer.write('lonely');
    await waitFor(() => linesOf(path).length === 1, {
      timeout: 2000,
      interval: 10,
      what: 'the partial buffer to be written',
    });
  });
});
