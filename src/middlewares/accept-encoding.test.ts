import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseEncoding, IDENTITY } from './accept-encoding.js';

const prefs = { encodings: ['gzip', 'br'], defaultEncoding: '' };

describe('choosing an encoding from Accept-Encoding', () => {
  it('takes the highest q-value', () => {
    assert.equal(chooseEncoding(prefs, 'gzip;q=0.5, br;q=0.8'), 'br');
    assert.equal(chooseEncoding(prefs, 'br;q=0.1, gzip'), 'gzip');
  });
  it('breaks ties with the configured order', () => {
    assert.equal(chooseEncoding(prefs, 'br, gzip'), 'gzip');
    assert.equal(chooseEncoding({ encodings: ['br', 'gzip'], defaultEncoding: '' }, 'gzip, br'), 'br');
  });
  it('refuses an encoding with q=0 and ignores unknown ones', () => {
    assert.equal(chooseEncoding(prefs, 'gzip;q=0, br'), 'br');
    assert.equal(chooseEncoding(prefs, 'gzip;q=0'), IDENTITY);
    assert.equal(chooseEncoding(prefs, 'deflate, compress'), IDENTITY);
    assert.equal(chooseEncoding(prefs, 'zstd'), IDENTITY);
  });
  it('compresses nothing for an empty header, identity preferred, or no header without a default', () => {
    assert.equal(chooseEncoding(prefs, ''), IDENTITY);
    assert.equal(chooseEncoding(prefs, 'identity, gzip;q=0.5'), IDENTITY);
    assert.equal(chooseEncoding(prefs, undefined), IDENTITY);
    assert.equal(chooseEncoding({ ...prefs, defaultEncoding: 'br' }, undefined), 'br');
  });
  it('reads * as the default encoding, else the first configured one', () => {
    assert.equal(chooseEncoding(prefs, '*'), 'gzip');
    assert.equal(chooseEncoding({ ...prefs, defaultEncoding: 'br' }, '*'), 'br');
    // At equal weight * ranks first, as in Traefik.
    assert.equal(chooseEncoding({ ...prefs, defaultEncoding: 'br' }, 'gzip, *'), 'br');
  });
  it('ignores spaces and case', () => {
    assert.equal(chooseEncoding(prefs, ' GZIP ; q=0.2 ,  Br ; q = 0.9'), 'br');
  });
});
