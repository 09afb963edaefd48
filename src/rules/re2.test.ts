import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRe2, Re2SyntaxError, translateRe2 } from './re2.js';

describe('RE2 to JavaScript translation', () => {
  const translations: Array<[re2: string, source: string, flags: string]> = [
    ['(?P<id>\\d+)', '(?<id>[0-9]+)', 'u'],
    ['(?<id>x)', '(?<id>x)', 'u'],
    ['(?P<1st>x)', '(x)', 'u'],
    ['(?i)abc', 'abc', 'iu'],
    ['(?is)a.', 'a[^]', 'iu'],
    ['a.b', 'a[^\\n]b', 'u'],
    ['\\Aabc\\z', '(?:^)abc(?:$)', 'u'],
    ['\\Qa.b*\\E', 'a\\.b\\*', 'u'],
    ['[[:alpha:]]', '[A-Za-z]', 'u'],
    ['[[:^digit:]x]', '[\\u{0}-/:-\\u{10ffff}x]', 'u'],
    ['[]a]', '[\\]a]', 'u'],
    ['[^]a]', '[^\\]a]', 'u'],
    ['\\pL\\p{Greek}\\P{Lu}\\p{^Latin}', '\\p{L}\\p{Script=Greek}\\P{Lu}\\P{Script=Latin}', 'u'],
    ['a{', 'a\\{', 'u'],
    ['a{,2}', 'a\\{,2\\}', 'u'],
    ['a{2,}b{1,3}', 'a{2,}b{1,3}', 'u'],
    ['(?U)a+b*?', 'a+?b*', 'u'],
    ['\\x41\\x{1F600}\\101\\0', 'A\\u{1f600}A\\u{0}', 'u'],
    ['\\.\\-\\_', '\\.-_', 'u'],
  ];
  for (const [re2, source, flags] of translations) {
    it(`translates ${re2} to /${source}/${flags}`, () => {
      assert.deepEqual(translateRe2(re2), { source, flags });
    });
  }

  const behaviour: Array<[re2: string, input: string, matches: boolean]> = [
    ['foo', 'xxfooxx', true], // unanchored, as in Go
    ['^foo$', 'xxfooxx', false],
    ['a.c', 'a\rc', true], // Go's . excludes only \n
    ['a.c', 'a\nc', false],
    ['(?s)a.c', 'a\nc', true],
    ['\\s', '\v', false], // Go's \s has no \v
    ['\\s', '\u00a0', false], // and is ASCII-only
    ['\\w', 'é', false],
    ['[\\S]', 'x', true],
    ['[\\S]', ' ', false],
    ['(?i)^HELLO$', 'hello', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['(?m)^b$', 'a\rb\rc', false], // Go's multi-line mode splits lines on \n only
    ['^[a-z]+\\.example\\.com$', 'api.example.com', true],
    ['^[a-z]+\\.example\\.com$', 'api.example.org', false],
    ['[[:digit:]]{3}', 'ab123', true],
    ['\\p{Greek}', 'λ', true],
    ['\\p{Greek}', 'l', false],
    ['^/\\Q*\\E$', '/*', true],
    ['[]]', ']', true],
    ['x{2}', 'x', false],
    ['x{2}', 'xx', true],
    ['^*a', 'a', true], // a repeated empty assertion is valid in Go
  ];
  for (const [re2, input, matches] of behaviour) {
    it(`${matches ? 'matches' : 'does not match'} ${JSON.stringify(input)} with ${re2}`, () => {
      assert.equal(compileRe2(re2).test(input), matches);
    });
  }

  const rejected: Array<[re2: string, offset: number, fragment: RegExp]> = [
    ['(?=a)', 0, /lookahead and lookbehind/],
    ['x(?!a)', 1, /lookahead and lookbehind/],
    ['(?<=a)b', 0, /lookahead and lookbehind/],
    ['(?<!a)b', 0, /lookahead and lookbehind/],
    ['(a)\\1', 3, /backreferences/],
    ['(?P<n>a)(?P=n)', 8, /backreferences/],
    ['(?>a)', 0, /invalid or unsupported Perl syntax/],
    ['(?#c)', 0, /invalid or unsupported Perl syntax/],
    ['a**', 2, /invalid nested repetition/],
    ['a{2}{3}', 4, /invalid nested repetition/],
    ['*a', 0, /missing argument to repetition/],
    ['a|*', 2, /missing argument to repetition/],
    ['(*)', 1, /missing argument to repetition/],
    ['x{1001}', 1, /invalid repeat count/],
    ['x{3,2}', 1, /invalid repeat count/],
    ['(a', 0, /missing closing \)/],
    ['a)', 1, /unexpected \)/],
    ['[a', 0, /missing closing \]/],
    ['[]', 0, /missing closing \]/],
    ['[z-a]', 1, /invalid character class range/],
    ['[[:foo:]]', 1, /invalid character class range/],
    ['\\Z', 0, /invalid escape sequence/],
    ['\\C', 0, /invalid escape sequence/],
    ['[\\b]', 1, /invalid escape sequence/],
    ['a\\', 1, /trailing backslash/],
    ['\\p{Nope}', 0, /unknown Unicode class/],
    ['(?P<a>x)(?P<a>y)', 8, /duplicate capture group name/],
    ['(?P<a-b>x)', 0, /invalid named capture/],
    ['a(?i)b', 1, /only supported for the whole pattern/],
    ['(?i:a)b', 0, /only supported for the whole pattern/],
    ['(?i)a(?-i)b', 5, /only supported for the whole pattern/],
    ['(?-)a', 0, /invalid or unsupported Perl syntax/],
    ['(?x)a', 0, /invalid or unsupported Perl syntax/],
  ];
  for (const [re2, offset, fragment] of rejected) {
    it(`rejects ${re2} at offset ${offset} as RE2 would`, () => {
      assert.throws(
        () => compileRe2(re2),
        (error) => error instanceof Re2SyntaxError && error.offset === offset && fragment.test(error.message),
      );
    });
  }
});
