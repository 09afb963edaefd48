import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyEvent, type DockerEvent, EventLineDecoder } from './docker-events.js';

const event = (Action: string, attributes: Record<string, string> = {}): DockerEvent => ({
  Type: 'container',
  Action,
  Actor: { ID: 'abc', Attributes: attributes },
});

test('kill with a terminating signal and stop drain the container', () => {
  assert.deepEqual(classifyEvent(event('kill', { signal: '15' })), { kind: 'drain', id: 'abc' });
  assert.deepEqual(classifyEvent(event('kill', { signal: 'SIGKILL' })), { kind: 'drain', id: 'abc' });
  assert.deepEqual(classifyEvent(event('stop')), { kind: 'drain', id: 'abc' });
});

test('kill with a reload signal does not drain', () => {
  assert.deepEqual(classifyEvent(event('kill', { signal: '1' })), { kind: 'ignore' });
});

test('lifecycle and health events refresh the container; exec and other types are ignored', () => {
  for (const action of ['start', 'die', 'pause', 'unpause', 'destroy', 'rename', 'health_status: healthy']) {
    assert.deepEqual(classifyEvent(event(action)), { kind: 'refresh', id: 'abc' }, action);
  }
  assert.deepEqual(classifyEvent(event('exec_start: sh')), { kind: 'ignore' });
  assert.deepEqual(classifyEvent({ ...event('start'), Type: 'network' }), { kind: 'ignore' });
});

test('the decoder reassembles messages split across chunks and reports malformed lines', () => {
  const events: DockerEvent[] = [];
  const bad: string[] = [];
  const decoder = new EventLineDecoder(
    (e) => events.push(e),
    (line) => bad.push(line),
  );
  const text = `${JSON.stringify(event('start'))}\nnot json\n${JSON.stringify(event('die'))}\n`;
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += 7) decoder.push(bytes.subarray(i, i + 7));
  assert.deepEqual(
    events.map((e) => e.Action),
    ['start', 'die'],
  );
  assert.deepEqual(bad, ['not json']);
});
