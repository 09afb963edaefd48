import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitCommandLine } from './command-line.js';

test('splits a command on whitespace, without a shell', () => {
  assert.deepEqual(splitCommandLine('  node   dist/apps/dynamic-api/main.js --x=1 '), [
    'node',
    'dist/apps/dynamic-api/main.js',
    '--x=1',
  ]);
});

test('keeps quoted words whole: single quotes literal, double quotes with \\" and \\\\', () => {
  assert.deepEqual(splitCommandLine(`echo 'a  b' "c \\"d\\" \\\\ \\n" e\\ f ''`), [
    'echo',
    'a  b',
    'c "d" \\ \\n',
    'e f',
    '',
  ]);
});

test('leaves shell syntax alone: no variables, globs or pipes', () => {
  assert.deepEqual(splitCommandLine('echo $HOME *.js | wc'), ['echo', '$HOME', '*.js', '|', 'wc']);
});

test('refuses an unterminated quote and a trailing backslash', () => {
  assert.throws(() => splitCommandLine('echo "oops'), /unterminated " quote/);
  assert.throws(() => splitCommandLine('echo oops\\'), /lone backslash/);
});
