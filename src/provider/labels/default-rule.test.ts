import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { buildLabelConfiguration } from './build-configuration.js';
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

test('unknown functions, wrong syntax and unclosed actions are refused at compile time, with their position', () => {
  for (const bad of ['{{ shout .Name }}', 'Host(`{{ .Name `)', '{{ }}', '{{ if .Name }}x']) {
    assert.throws(() => compileDefaultRule(bad), ConfigError, bad);
  }
  assert.throws(
    () => compileDefaultRule('Host(`{{ shout .Name }}`)'),
    /providers\.docker\.defaultRule:1:10: function "shout" not defined/,
  );
});

test("an unknown field fails when rendered for a container, in Go's words (Traefik: that container gets no router)", () => {
  const template = compileDefaultRule('Host(`{{ .Image }}`)');
  assert.throws(
    () => template.render(data),
    /can't evaluate field Image in type struct \{ Name string; ContainerName string; Labels map\[string\]string \}/,
  );
});

test('the full engine is available: sprig functions, conditions and a missing label as Go prints it', () => {
  const template = compileDefaultRule(
    '{{ $d := index .Labels "app.domain" }}Host(`{{ if $d }}{{ $d }}{{ else }}{{ .Name }}.local{{ end }}`){{ .Labels.none }}',
  );
  assert.equal(template.render(data), 'Host(`example.org`)<no value>');
  assert.equal(
    compileDefaultRule('Host(`{{ .Name | splitList "-" | first }}.{{ env "SY_NO_SUCH_VAR" | default "lan" }}`)').render(
      data,
    ),
    'Host(`web.lan`)',
  );
});

test('a container whose default rule names an unknown field gets no router and keeps its service (Traefik)', () => {
  const workload = {
    id: '1',
    kind: 'container',
    name: 'web-1',
    labels: {},
    running: true,
    health: 'none' as const,
    address: { kind: 'listen' as const, host: '127.0.0.1', port: 8080 },
  };
  const { config, issues } = buildLabelConfiguration([workload], { defaultRule: 'Host(`{{ .Image }}`)' });
  assert.deepEqual(Object.keys(config.http?.routers ?? {}), []);
  assert.deepEqual(Object.keys(config.http?.services ?? {}), ['web-1']);
  assert.match(issues[0]?.message ?? '', /can't evaluate field Image/);
});

test('an unknown field fails when the template runs, as in Go (Traefik: that container gets no router)', () => {
  const template = compileDefaultRule('Host(`{{ .Toto }}`)');
  assert.throws(() => template.render(data), /can't evaluate field Toto/);
});
