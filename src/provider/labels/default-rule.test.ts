import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { compileDefaultRule } from './default-rule.js';
import { normalizeName } from './normalize.js';

const data = { Name: 'web-shop', ContainerName: 'shop-web-1', Labels: { 'app.domain': 'example.org', short: 'x' } };

test('normalize turns each run of non-alphanumerics into one dash and trims the ends', () => {
  assert.equal(normalizeName('/My_App..v2--é!'), 'My-App-v2-é');
});

test("Traefik's default rule renders the normalized service name", () => {
  assert.equal(compileDefaultRule('Host(`{{ normalize .Name }}`)').render({ ...data, Name: 'a_b' }), 'Host(`a-b`)');
});

test('index reads a label, and a missing label renders empty as in Go', () => {
  const template = compileDefaultRule('Host(`{{ index .Labels "app.domain" }}`){{ index .Labels "none" }}');
  assert.equal(template.render(data), 'Host(`example.org`)');
});

test('pipes pass the value as the last argument and parentheses group', () => {
  assert.equal(compileDefaultRule('{{ .ContainerName | upper }}').render(data), 'SHOP-WEB-1');
  assert.equal(compileDefaultRule('{{ trimPrefix "web-" .Name }}').render(data), 'shop');
  assert.equal(compileDefaultRule('{{ normalize (index .Labels "app.domain") }}').render(data), 'example-org');
  assert.equal(compileDefaultRule('{{ .Labels.short }}').render(data), 'x');
});

test('trim markers remove the whitespace beside an action', () => {
  assert.equal(compileDefaultRule('Host(`  {{- .Name -}}  `)').render(data), 'Host(`web-shop`)');
});

test('unknown functions, wrong arity and unclosed actions are refused at compile time', () => {
  for (const bad of ['{{ shout .Name }}', '{{ index .Labels }}', 'Host(`{{ .Name `)', '{{ }}', '{{ .Name..x }}']) {
    assert.throws(() => compileDefaultRule(bad), ConfigError, bad);
  }
});

test('an unknown field fails when the template runs, as in Go (Traefik: that container gets no router)', () => {
  const template = compileDefaultRule('Host(`{{ .Toto }}`)');
  assert.throws(() => template.render(data), /can't evaluate field Toto/);
});
