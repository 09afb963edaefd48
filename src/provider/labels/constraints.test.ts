import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { compileConstraints } from './constraints.js';

const labels = { env: 'prod', team: 'ops-db', 'com.docker.compose.project': 'lab' };

test('an empty expression keeps every container', () => {
  assert.equal(compileConstraints(undefined)({}), true);
  assert.equal(compileConstraints('  ')({}), true);
});

test('Label compares the exact value and is false for a missing label', () => {
  assert.equal(compileConstraints('Label(`env`,`prod`)')(labels), true);
  assert.equal(compileConstraints('Label(`env`,`Prod`)')(labels), false);
  assert.equal(compileConstraints('Label(`zone`,``)')(labels), false);
});

test('LabelRegex is an unanchored RE2 match', () => {
  assert.equal(compileConstraints('LabelRegex(`team`, `ops`)')(labels), true);
  assert.equal(compileConstraints('LabelRegex(`team`, "^db")')(labels), false);
});

test('&& binds tighter than ||, and ! and parentheses work', () => {
  const kept = compileConstraints('Label(`env`,`dev`) && Label(`team`,`x`) || Label(`env`,`prod`)');
  assert.equal(kept(labels), true);
  const grouped = compileConstraints('Label(`env`,`dev`) && (Label(`team`,`x`) || Label(`env`,`prod`))');
  assert.equal(grouped(labels), false);
  assert.equal(compileConstraints('!Label(`env`,`prod`)')(labels), false);
});

test('unknown matchers, bad regexps and syntax errors are refused with ConfigError', () => {
  for (const bad of ['Host(`a`)', 'Label(`a`)', 'LabelRegex(`a`,`(`)', 'Label(`a`,`b`) &&', "Label('a','b')"]) {
    assert.throws(() => compileConstraints(bad), ConfigError, bad);
  }
});
