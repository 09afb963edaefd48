import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ConfigParseError } from '../errors.js';
import {
  compileTemplate,
  fixed,
  GoStruct,
  hasTemplateActions,
  renderTemplate,
  TemplateExecError,
  TemplateSyntaxError,
} from './index.js';

const render = (source: string, data: unknown = false) => renderTemplate(source, data, { name: 't.yml' });

describe('text/template syntax', () => {
  test("Traefik's file-provider fixture: range over until with index and element", () => {
    const source =
      'http:\n  routers:\n  {{ range $i, $e := until 3 }}\n    router{{ $e }}:\n      service: app\n  {{ end }}';
    const out = render(source);
    assert.match(out, /router0:\n {6}service: app/);
    assert.match(out, /router2:/);
    assert.doesNotMatch(out, /router3/);
  });

  test('trim markers eat whitespace and newlines beside the action; comments vanish', () => {
    assert.equal(render('a  {{- 1 -}}  b'), 'a1b');
    assert.equal(render('a\n{{- /* note */ -}}\nb'), 'ab');
    assert.equal(render('a{{/* x */}}b'), 'ab');
    assert.equal(render('{{-3}}'), '-3', 'a minus sign with no space is a number, not a trim marker');
  });

  test('if / else if / else, with / else, and Go truth', () => {
    const t = '{{ if eq . 1 }}one{{ else if eq . 2 }}two{{ else }}many{{ end }}';
    assert.deepEqual(
      [1, 2, 3].map((n) => render(t, n)),
      ['one', 'two', 'many'],
    );
    assert.equal(render('{{ with .a }}[{{ . }}]{{ else }}none{{ end }}', { a: 'x' }), '[x]');
    assert.equal(render('{{ with .a }}[{{ . }}]{{ else }}none{{ end }}', { a: '' }), 'none');
    assert.equal(
      render('{{ if list }}y{{ else }}n{{ end }}{{ if dict "a" 1 }}y{{ end }}{{ if 0 }}y{{ else }}n{{ end }}'),
      'nyn',
    );
  });

  test('range over maps (sorted keys), integers, with else, break and continue', () => {
    assert.equal(render('{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}', { b: 2, a: 1 }), 'a=1;b=2;');
    assert.equal(render('{{ range $i := 3 }}{{ $i }}{{ end }}'), '012');
    assert.equal(render('{{ range list }}x{{ else }}empty{{ end }}'), 'empty');
    assert.equal(
      render(
        '{{ range until 10 }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}',
      ),
      '013',
    );
  });

  test('variables: declaration, assignment, block scope and $ as the data', () => {
    assert.equal(render('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}'), '2');
    assert.throws(() => render('{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}'), /undefined variable "\$y"/);
    assert.equal(render('{{ range until 2 }}{{ $.name }}{{ end }}', { name: 'n' }), 'nn');
  });

  test('pipelines pass the value last; parentheses group; fields chain on variables and calls', () => {
    assert.equal(render('{{ "Web_App" | lower | replace "_" "-" }}'), 'web-app');
    assert.equal(render('{{ printf "%s-%d" (upper "a") (add 1 2) }}'), 'A-3');
    assert.equal(render('{{ $d := dict "a" (dict "b" "deep") }}{{ $d.a.b }}{{ (index $d "a").b }}'), 'deepdeep');
  });

  test('define and template, block, and a self-calling template stops at the depth limit', () => {
    assert.equal(render('{{ define "r" }}router-{{ . }}{{ end }}{{ template "r" 7 }}'), 'router-7');
    assert.equal(render('{{ block "b" "x" }}[{{ . }}]{{ end }}'), '[x]');
    assert.throws(
      () => render('{{ define "loop" }}{{ template "loop" }}{{ end }}{{ template "loop" }}'),
      /nest deeper than 100/,
    );
  });

  test('printing: missing map keys are <no value>, nil is <nil>, lists and maps as Go prints them', () => {
    assert.equal(render('{{ .missing }}', {}), '<no value>');
    assert.equal(render('{{ list 1 "a" true }} {{ dict "b" 2 "a" 1 }}'), '[1 a true] map[a:1 b:2]');
  });
});

describe('Go builtins', () => {
  test('and/or return an operand and short-circuit; not, len, index, slice', () => {
    assert.equal(render('{{ and 1 0 (fail "never") }}'), '0');
    assert.equal(render('{{ or "" "x" (fail "never") }}'), 'x');
    assert.equal(
      render('{{ not "" }} {{ len "héllo" }} {{ len (list 1 2) }} {{ index (list "a" "b") 1 }}'),
      'true 6 2 b',
    );
    assert.equal(render('{{ slice "abcdef" 1 3 }} {{ slice (list 1 2 3) 1 }}'), 'bc [2 3]');
    assert.throws(() => render('{{ index (list 1) 5 }}'), /t\.yml:1:4: error calling index: index out of range: 5/);
  });

  test('comparisons: eq with several candidates, lt on strings and numbers, mixed kinds refused', () => {
    assert.equal(
      render('{{ eq 2 1 2 }} {{ ne "a" "b" }} {{ lt 1 2 }} {{ ge "b" "a" }} {{ le 2 2 }} {{ gt 1 2 }}'),
      'true true true true true false',
    );
    assert.throws(() => render('{{ eq 1 "1" }}'), /incompatible types for comparison/);
  });

  test("printf speaks Go's verbs, flags and error forms", () => {
    assert.equal(
      render('{{ printf "%s|%d|%v|%q|%5d|%-4s|%05.1f|%x|%t|%%" "a" 7 (list 1) "q\\"" 42 "ab" 3.14159 255 true }}'),
      'a|7|[1]|"q\\""|   42|ab  |003.1|ff|true|%',
    );
    assert.equal(render('{{ printf "%d %s" "x" }}'), '%!d(string=x) %!s(MISSING)');
    assert.equal(render('{{ printf "%s" "a" "b" }}'), 'a%!(EXTRA string=b)');
    assert.equal(render('{{ print "a" 1 2 "b" }}|{{ println 1 "x" }}'), 'a1 2b|1 x\n');
  });
});

describe('sprig functions', () => {
  test('until, untilStep and seq count as sprig does', () => {
    assert.equal(
      render('{{ until 3 }} {{ until -2 }} {{ untilStep 0 10 4 }} {{ untilStep 5 0 -2 }}'),
      '[0 1 2] [0 -1] [0 4 8] [5 3 1]',
    );
    assert.equal(render('{{ seq 3 }}|{{ seq 2 4 }}|{{ seq 0 5 10 }}|{{ seq 3 1 }}'), '1 2 3|2 3 4|0 5 10|3 2 1');
  });

  test('integer math converts as toInt64 does; division by zero is an error, not a crash', () => {
    assert.equal(
      render(
        '{{ add 1 2 "3" }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ add1 1.9 }} {{ max 1 5 2 }}',
      ),
      '6 -2 24 3 1 2 5',
    );
    assert.throws(() => render('{{ div 1 0 }}'), /t\.yml:1:4: error calling div: integer divide by zero/);
  });

  test('strings: trims, case, replace, split/splitList/join, contains, prefixes, quote', () => {
    assert.equal(
      render(
        '{{ trim "  a " }}|{{ trimAll "-" "--a--" }}|{{ trimPrefix "www." "www.x.org" }}|{{ trimSuffix ".org" "x.org" }}',
      ),
      'a|a|x.org|x',
    );
    assert.equal(
      render(
        '{{ upper "a" }}{{ lower "B" }} {{ title "hello world" }} {{ repeat 3 "ab" }} {{ substr 1 3 "abcd" }} {{ trunc 2 "abc" }}',
      ),
      'Ab Hello World ababab bc ab',
    );
    assert.equal(
      render(
        '{{ (split "." "a.b")._1 }} {{ splitList "," "a,b" }} {{ join "+" (list "a" 1) }} {{ splitn "." 2 "a.b.c" }}',
      ),
      'b [a b] a+1 map[_0:a _1:b.c]',
    );
    assert.equal(
      render(
        '{{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "c" "abc" }} {{ quote "a" 1 }} {{ squote "x" }} {{ cat "a" nil "b" }}',
      ),
      'true true true "a" "1" \'x\' a b',
    );
    assert.equal(render('{{ "a\\nb" | indent 2 }}|{{ nindent 1 "x" }}'), '  a\n  b|\n x');
  });

  test('defaults, lists and dicts', () => {
    assert.equal(
      render(
        '{{ default "d" "" }} {{ default "d" "v" }} {{ .x | default "none" }} {{ coalesce "" 0 "c" }} {{ ternary "y" "n" true }} {{ empty list }}',
        {},
      ),
      'd v none c y true',
    );
    assert.equal(
      render(
        '{{ first (list 1 2) }} {{ last (list 1 2) }} {{ rest (list 1 2 3) }} {{ append (list 1) 2 }} {{ reverse (list 1 2) }} {{ uniq (list 1 1 2) }} {{ has 2 (list 1 2) }} {{ without (list 1 2 3) 2 }}',
      ),
      '1 2 [2 3] [1 2] [2 1] [1 2] true [1 3]',
    );
    assert.equal(
      render(
        '{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ keys $d }} {{ hasKey $d "a" }} {{ get $d "b" }} {{ values (dict "x" 9) }} {{ pick $d "a" }} {{ omit $d "a" }}',
      ),
      '[a b] true 2 [9] map[a:1] map[b:2]',
    );
  });

  test('env and expandenv read the environment; encodings and regular expressions', () => {
    process.env.SY_TEMPLATE_TEST = 'from-env';
    try {
      assert.equal(
        render(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: expandenv's own ${VAR} syntax
          '{{ env "SY_TEMPLATE_TEST" }} {{ env "SY_TEMPLATE_UNSET_VAR" }}|{{ expandenv "x-${SY_TEMPLATE_TEST}" }}',
        ),
        'from-env |x-from-env',
      );
    } finally {
      delete process.env.SY_TEMPLATE_TEST;
    }
    assert.equal(
      render('{{ b64enc "hi" }} {{ b64dec "aGk=" }} {{ sha256sum "" | trunc 8 }} {{ toJson (dict "a" (list 1)) }}'),
      'aGk= hi e3b0c442 {"a":[1]}',
    );
    assert.equal(
      render(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's ${2} replacement syntax
        '{{ regexMatch "^a+$" "aaa" }} {{ regexReplaceAll "(\\\\w+)@(\\\\w+)" "x@y" "${2}.$1" }} {{ regexFind "\\\\d+" "ab12c" }}',
      ),
      'true y.x 12',
    );
  });
});

describe('errors and limits', () => {
  test('an unknown function fails at compile time with file:line:col', () => {
    assert.throws(
      () => compileTemplate('a: 1\nb: {{ foo 1 }}', { name: 'dyn.yml' }),
      (error: unknown) => {
        assert.ok(error instanceof TemplateSyntaxError && error instanceof ConfigParseError);
        assert.equal(error.message, 'dyn.yml:2:7: function "foo" not defined');
        return true;
      },
    );
    assert.throws(
      () => compileTemplate('{{ now }}', { name: 'f' }),
      /f:1:4: function "now" \(from sprig\) is not supported/,
    );
  });

  test('syntax faults name their place: unclosed action, missing end, stray end, bad words', () => {
    for (const [source, message] of [
      ['x {{ .a ', /t:1:3: unclosed action/],
      ['{{ if 1 }}x', /t:1:1: unexpected EOF: \{\{if\}\} has no \{\{end\}\}/],
      ['{{ end }}', /t:1:1: unexpected \{\{end\}\}/],
      ['{{ 1 2 ) }}', /unexpected/],
      ['{{ break }}', /outside \{\{range\}\}/],
      ['{{ }}', /missing value for command/],
      ['{{ "a }}', /t:1:4: /],
    ] as const) {
      assert.throws(() => compileTemplate(source, { name: 't' }), message, source);
    }
  });

  test('runtime faults: wrong arity, fields of a struct, fields of non-maps, ranging over a string', () => {
    assert.throws(() => render('{{ add1 }}'), /t\.yml:1:4: wrong number of args for add1: want 1 got 0/);
    const data = new GoStruct('dockerData', { Name: 'web' });
    assert.equal(render('{{ .Name }}', data), 'web');
    assert.throws(
      () => render('{{ .Image }}', data),
      (error: unknown) => {
        assert.ok(error instanceof TemplateExecError);
        assert.equal(error.message, "t.yml:1:4: can't evaluate field Image in type dockerData");
        return true;
      },
    );
    assert.throws(() => render('{{ .X }}'), /can't evaluate field X in type bool/);
    assert.throws(() => render('{{ range "abc" }}{{ end }}'), /range can't iterate over abc/);
    assert.throws(() => render('{{ .Name 1 }}', data), /can't give argument to non-function \.Name/);
  });

  test('a template cannot hang or exhaust the process: generators, loops and output are bounded', () => {
    assert.throws(() => render('{{ until 100000000 }}'), /over the limit of 100000/);
    assert.throws(
      () => render('{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}'),
      /more than 2000000 steps/,
    );
    assert.throws(() => render('{{ range $i := 1000000000 }}{{ end }}'), /over the step budget/);
    const small = { maxSteps: 1000, maxOutput: 100, maxDepth: 5 };
    assert.throws(
      () => renderTemplate('{{ range until 50 }}0123456789{{ end }}', false, { name: 'f', limits: small }),
      /more than 100 characters/,
    );
  });

  test('nesting is bounded: deep parentheses or blocks are a syntax error, not a stack overflow', () => {
    const parens = `{{ ${'('.repeat(50_000)}1${')'.repeat(50_000)} }}`;
    const blocks = `${'{{ if 1 }}'.repeat(50_000)}x${'{{ end }}'.repeat(50_000)}`;
    for (const source of [parens, blocks]) {
      assert.throws(
        () => render(source),
        (error: unknown) => error instanceof TemplateSyntaxError && /nest deeper than 200/.test(error.message),
      );
    }
    assert.equal(render(`${'{{ if 1 }}'.repeat(150)}x${'{{ end }}'.repeat(150)}`), 'x');
  });

  test('any sequence of template words either renders or fails with a template error (2,000 random sources)', () => {
    const words = [
      '{{',
      '}}',
      '{{-',
      '-}}',
      ' ',
      '.',
      '$x',
      ':=',
      '=',
      '|',
      '(',
      ')',
      'range',
      'if',
      'else',
      'end',
      'with',
      'define',
      'template',
      'break',
      '"s"',
      "'c'",
      '1',
      '-2',
      '1.5',
      'until',
      'printf',
      '"%d %q"',
      'add',
      'div',
      'index',
      'list',
      'dict',
      'len',
      'eq',
      'and',
      '$',
      ',',
      '$i',
      '/*',
      '*/',
      'nil',
      'true',
      'x',
      '\n',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 40 }), (parts) => {
        try {
          renderTemplate(
            parts.join(''),
            { a: [1] },
            { name: 'f', limits: { maxSteps: 10_000, maxOutput: 100_000, maxDepth: 10 } },
          );
        } catch (error) {
          if (!(error instanceof ConfigParseError)) throw error;
        }
      }),
      { numRuns: 2000, seed: 13 },
    );
  });

  test('callers add functions (normalize) and replace standard ones (Traefik replaces split in files)', () => {
    const functions = {
      shout: fixed(1, ([s]) => `${String(s).toUpperCase()}!`),
      split: fixed(2, ([s, sep]) => String(s).split(String(sep))),
    };
    assert.equal(
      renderTemplate('{{ shout "a" }} {{ index (split "a,b" ",") 1 }}', false, { name: 'f', functions }),
      'A! b',
    );
  });

  test('a text without actions is recognised without compiling', () => {
    assert.equal(hasTemplateActions('http:\n  routers: {}\n'), false);
    assert.equal(hasTemplateActions('a: {{ 1 }}'), true);
  });
});
