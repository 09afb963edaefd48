/**
 * The compatibility corpus against its baseline (see corpus.ts and baseline.ts): no case that
 * loaded may fail, no warning may disappear unless its key is now kept, and
 * docs/traefik-support.md must be the one generated from the baseline.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareWithBaseline, readBaseline } from './baseline.js';
import { evaluateCorpus, findingKey, listCases } from './corpus.js';
import { blockerOf, generalKey, renderSupportDoc } from './summary.js';

const SUPPORT_DOC = fileURLToPath(new URL('../../../docs/traefik-support.md', import.meta.url));

test('no case of the corpus does worse than its baseline', async () => {
  const results = await evaluateCorpus();
  const baseline = readBaseline();
  assert.ok(Object.keys(baseline).length > 0, 'test/compat/baseline.json is missing: npm run compat -- --update');
  const { regressions, improvements, changes } = compareWithBaseline(results, baseline);
  if (improvements.length + changes.length > 0) {
    console.log(
      `compat: ${improvements.length} improvement(s), ${changes.length} other change(s) against the baseline; ` +
        'record them with npm run compat -- --update',
    );
  }
  assert.deepEqual(regressions, []);
});

test('every case names its source and feature, and the corpus is a few hundred cases', () => {
  const cases = listCases();
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  for (const c of cases) {
    assert.match(c.source, /^(docs\/content\/|integration\/fixtures\/|pkg\/|published pattern: )/, c.id);
    assert.match(c.feature, /^[a-z]+\/[A-Za-z0-9.@*_-]+$/, c.id);
  }
});

test('docs/traefik-support.md is generated from the baseline', () => {
  const expected = renderSupportDoc(readBaseline());
  assert.equal(
    readFileSync(SUPPORT_DOC, 'utf8'),
    expected,
    'docs/traefik-support.md is out of date: npm run compat -- --update',
  );
});

test('findings are reduced to the key they name', () => {
  assert.equal(
    findingKey('a.yml:3:5: router "r@file": http.routers.r.tls: TLS is not implemented yet'),
    'http.routers.r.tls',
  );
  assert.equal(findingKey('s.yml:4:1: serverTransport: not a Traefik static key, ignored'), 'serverTransport');
  assert.equal(generalKey('http.routers.web.tls'), 'http.routers.*.tls');
  assert.equal(generalKey('entryPoints.web.http.redirections'), 'entryPoints.*.http.redirections');
  assert.equal(
    blockerOf('middleware "auth@file": middleware "auth": unknown middleware type "basicAuth"'),
    'middleware basicauth',
  );
});
