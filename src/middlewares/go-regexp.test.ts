import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGoRegexp, compileGoTemplate } from './go-regexp.js';

describe('Go regexp translation', () => {
  it('turns leading flags, named groups, POSIX classes and \\Q…\\E into JavaScript', () => {
    assert.ok(compileGoRegexp('(?i)^/API').test('/api'));
    assert.equal(compileGoRegexp('^/(?P<id>\\d+)').exec('/42')?.groups?.id, '42');
    assert.ok(compileGoRegexp('^[[:alpha:]_]+$').test('ab_c'));
    assert.ok(!compileGoRegexp('^[[:alpha:]]+$').test('a1'));
    assert.ok(compileGoRegexp('^\\Q a.b \\E$').test(' a.b '));
    assert.ok(!compileGoRegexp('^\\Qa.b\\E$').test('axb'));
    assert.ok(compileGoRegexp('\\Afoo\\z').test('foo'));
    assert.ok(compileGoRegexp('^\\pL+$').test('été'));
  });

  it('anchors at the start when asked', () => {
    const anchored = compileGoRegexp('/a|/b', { anchored: true });
    assert.ok(anchored.test('/b/x'));
    assert.ok(!anchored.test('/x/b'));
  });

  it('rejects what RE2 rejects', () => {
    assert.throws(() => compileGoRegexp('(?=a)'));
    assert.throws(() => compileGoRegexp('(?<!a)b'));
    assert.throws(() => compileGoRegexp('(a)\\1'));
    assert.throws(() => compileGoRegexp('a(?i)b'));
    assert.throws(() => compileGoRegexp('[a'));
  });

  it('expands templates the way Go Regexp.Expand does', () => {
    const re = /(?<first>a)(b)?/g;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement templates, not JavaScript ones
    assert.equal('ab'.replace(re, compileGoTemplate('[$1|${2}|$first|$$|$0]')), '[a|b|a|$|ab]');
    assert.equal('a'.replace(re, compileGoTemplate('[$2][$missing][$]')), '[][][$]');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go replacement templates, not JavaScript ones
    assert.equal('a'.replace(/(a)/, compileGoTemplate('$1x-${1}x')), '-ax');
  });
});
