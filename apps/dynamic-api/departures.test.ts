import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DepartureBoardGenerator } from './departures.js';

const NOW = new Date('2026-03-14T09:26:00.000Z');

describe('departure board', () => {
  it('lists departures leaving within the next hour, sorted by scheduled time', () => {
    const board = new DepartureBoardGenerator().board(NOW, 50);
    assert.ok(board.departures.length >= 5);
    const times = board.departures.map((d) => d.scheduled);
    assert.deepEqual([...times].sort(), times);
    for (const d of board.departures) {
      assert.ok(Date.parse(d.scheduled) <= NOW.getTime() + 3_600_000);
      assert.ok(Date.parse(d.expected ?? d.scheduled) >= NOW.getTime());
      if (d.status === 'cancelled') assert.equal(d.expected, null);
      if (d.status === 'on-time') assert.equal(d.expected, d.scheduled);
      if (d.status === 'delayed') assert.ok(d.delayMinutes >= 2);
    }
  });

  it('gives the same board from two generators, so replicas agree', () => {
    assert.deepEqual(new DepartureBoardGenerator().board(NOW), new DepartureBoardGenerator().board(NOW));
  });

  it('keeps a train and its status from one poll to the next', () => {
    const gen = new DepartureBoardGenerator();
    const before = gen.board(NOW, 50).departures;
    const later = gen.board(new Date(NOW.getTime() + 2000), 50).departures;
    assert.deepEqual(later, before);
  });

  it('builds a different network for a different station', () => {
    const a = new DepartureBoardGenerator('Alpha').board(NOW, 50).departures.map((d) => d.destination);
    const b = new DepartureBoardGenerator('Beta').board(NOW, 50).departures.map((d) => d.destination);
    assert.notDeepEqual(a, b);
  });
});
