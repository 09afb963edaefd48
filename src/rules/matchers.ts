/**
 * The matcher registry: each matcher name maps to its accepted argument counts and a builder that
 * validates the arguments once and returns the per-request predicate plus an explanation of its
 * verdict. The parser and the compiler look matchers up here; there is no switch over names.
 */
import { compileHostPattern } from './host.js';
import { isV4Address, networkContains, parseIp, parseNetwork } from './ip.js';
import { parseQuery } from './query.js';
import { compileRe2, Re2SyntaxError } from './re2.js';
import type { MatchInput, RuleMatcher } from './types.js';

/** An argument a builder refuses; the compiler turns it into a RuleSyntaxError at that argument. */
export class MatcherArgumentError extends Error {
  readonly argIndex: number;
  /** Offset of the fault inside the argument's value, when known. */
  readonly offset: number | undefined;
  constructor(message: string, argIndex: number, offset?: number) {
    super(message);
    this.name = 'MatcherArgumentError';
    this.argIndex = argIndex;
    this.offset = offset;
  }
}

/** A matcher built from its arguments: the predicate and a one-line account of its verdict. */
export interface BuiltMatcher {
  match: RuleMatcher;
  /** Why the predicate holds or not for this input (for `switchyard explain`). */
  explain(input: MatchInput): string;
}

/** One entry of the registry. */
export interface MatcherDefinition {
  /** Canonical spelling, as in Traefik's documentation. */
  name: string;
  /** Accepted argument counts. */
  arity: readonly number[];
  /** Validates the arguments (count already checked); throws MatcherArgumentError. */
  build(args: readonly string[]): BuiltMatcher;
}

const q = (text: string): string => JSON.stringify(text);

/** Compiles an RE2 argument, reporting a bad one against its argument index. */
function regexpArgument(pattern: string, argIndex: number): RegExp {
  try {
    return compileRe2(pattern);
  } catch (error) {
    if (error instanceof Re2SyntaxError) {
      throw new MatcherArgumentError(`invalid regexp ${q(pattern)}: ${error.message}`, argIndex, error.offset);
    }
    throw error;
  }
}

function requireAscii(name: string, value: string): void {
  // Traefik refuses non-ASCII hosts rather than guessing a punycode form.
  if (!/^[\x00-\x7f]*$/.test(value)) {
    throw new MatcherArgumentError(`invalid value ${q(value)} for ${name}: non-ASCII characters are not allowed`, 0);
  }
}

function requireSlash(name: string, path: string): void {
  if (!path.startsWith('/')) throw new MatcherArgumentError(`${name} path ${q(path)} does not start with a '/'`, 0);
}

/** All values of a header, whatever shape Node gave them; a shared empty array when absent. */
const NO_VALUES: readonly string[] = [];
function headerValues(input: MatchInput, name: string): readonly string[] | string {
  const value = input.headers[name];
  return value === undefined ? NO_VALUES : value;
}

function someValue(values: readonly string[] | string, test: (value: string) => boolean): boolean {
  if (typeof values === 'string') return test(values);
  for (const value of values) if (test(value)) return true;
  return false;
}

/** The parsed query of a request, parsed on first use and cached on the input. */
function queryOf(input: MatchInput): Map<string, string[]> {
  if (input.parsedQuery === undefined) input.parsedQuery = parseQuery(input.query);
  return input.parsedQuery;
}

const verdict = (matched: boolean, yes: string, no: string): string => (matched ? yes : no);

const host: MatcherDefinition = {
  name: 'Host',
  arity: [1],
  build([expression]) {
    requireAscii('Host', expression!);
    const test = compileHostPattern(expression!);
    const match: RuleMatcher = (input) => test(input.host);
    return {
      match,
      explain: (i) => `host ${q(i.host)} ${verdict(match(i), 'matches', 'does not match')} ${q(expression!)}`,
    };
  },
};

const hostRegexp: MatcherDefinition = {
  name: 'HostRegexp',
  arity: [1],
  build([pattern]) {
    requireAscii('HostRegexp', pattern!);
    const re = regexpArgument(pattern!, 0);
    const match: RuleMatcher = (input) => re.test(input.host);
    return {
      match,
      explain: (i) => `host ${q(i.host)} ${verdict(match(i), 'matches', 'does not match')} /${pattern}/`,
    };
  },
};

const path: MatcherDefinition = {
  name: 'Path',
  arity: [1],
  build([expected]) {
    requireSlash('Path', expected!);
    const match: RuleMatcher = (input) => input.path === expected;
    return { match, explain: (i) => `path ${q(i.path)} ${verdict(match(i), 'is', 'is not')} ${q(expected!)}` };
  },
};

const pathPrefix: MatcherDefinition = {
  name: 'PathPrefix',
  arity: [1],
  build([prefix]) {
    requireSlash('PathPrefix', prefix!);
    const match: RuleMatcher = (input) => input.path.startsWith(prefix!);
    return {
      match,
      explain: (i) => `path ${q(i.path)} ${verdict(match(i), 'starts', 'does not start')} with ${q(prefix!)}`,
    };
  },
};

const pathRegexp: MatcherDefinition = {
  name: 'PathRegexp',
  arity: [1],
  build([pattern]) {
    const re = regexpArgument(pattern!, 0);
    const match: RuleMatcher = (input) => re.test(input.path);
    return {
      match,
      explain: (i) => `path ${q(i.path)} ${verdict(match(i), 'matches', 'does not match')} /${pattern}/`,
    };
  },
};

const method: MatcherDefinition = {
  name: 'Method',
  arity: [1],
  build([name]) {
    const expected = name!.toUpperCase();
    const match: RuleMatcher = (input) => input.method === expected;
    return { match, explain: (i) => `method ${q(i.method)} ${verdict(match(i), 'is', 'is not')} ${q(expected)}` };
  },
};

const header: MatcherDefinition = {
  name: 'Header',
  arity: [2],
  build([rawName, expected]) {
    const name = rawName!.toLowerCase();
    const equalsExpected = (value: string): boolean => value === expected;
    const match: RuleMatcher = (input) => someValue(headerValues(input, name), equalsExpected);
    return {
      match,
      explain: (i) => describeValues(`header ${rawName}`, headerValues(i, name), match(i), q(expected!)),
    };
  },
};

const headerRegexp: MatcherDefinition = {
  name: 'HeaderRegexp',
  arity: [2],
  build([rawName, pattern]) {
    const name = rawName!.toLowerCase();
    const re = regexpArgument(pattern!, 1);
    const test = (value: string): boolean => re.test(value);
    const match: RuleMatcher = (input) => someValue(headerValues(input, name), test);
    return {
      match,
      explain: (i) => describeValues(`header ${rawName}`, headerValues(i, name), match(i), `/${pattern}/`),
    };
  },
};

const query: MatcherDefinition = {
  name: 'Query',
  arity: [1, 2],
  build([key, expected]) {
    // One argument asks only that the key be present, whatever its value.
    const match: RuleMatcher =
      expected === undefined
        ? (input) => queryOf(input).has(key!)
        : (input) => queryOf(input).get(key!)?.includes(expected) === true;
    const wanted = expected === undefined ? 'present' : q(expected);
    return { match, explain: (i) => describeValues(`query ${key}`, queryOf(i).get(key!), match(i), wanted) };
  },
};

const queryRegexp: MatcherDefinition = {
  name: 'QueryRegexp',
  arity: [1, 2],
  build([key, pattern]) {
    if (pattern === undefined) return query.build([key!]);
    const re = regexpArgument(pattern, 1);
    const test = (value: string): boolean => re.test(value);
    const match: RuleMatcher = (input) => someValue(queryOf(input).get(key!) ?? NO_VALUES, test);
    return { match, explain: (i) => describeValues(`query ${key}`, queryOf(i).get(key!), match(i), `/${pattern}/`) };
  },
};

// One scratch buffer for the request address: matching is synchronous, so it is never shared.
const requestAddress = new Uint32Array(4);

const clientIp: MatcherDefinition = {
  name: 'ClientIP',
  arity: [1],
  build([range]) {
    const network = parseNetwork(range!);
    if (network === undefined) throw new MatcherArgumentError(`invalid IP or CIDR ${q(range!)}`, 0);
    const match: RuleMatcher = (input) =>
      input.remoteAddress !== '' &&
      parseIp(input.remoteAddress, requestAddress) &&
      networkContains(network, requestAddress);
    return {
      match,
      explain: (i) => {
        const family = parseIp(i.remoteAddress, requestAddress)
          ? isV4Address(requestAddress)
            ? 'IPv4 '
            : 'IPv6 '
          : '';
        return `client ${family}${q(i.remoteAddress)} ${verdict(match(i), 'is', 'is not')} in ${range}`;
      },
    };
  },
};

function describeValues(
  what: string,
  values: readonly string[] | string | undefined,
  matched: boolean,
  wanted: string,
): string {
  const list = values === undefined || values.length === 0 ? 'absent' : JSON.stringify(values);
  return `${what} is ${list}: ${matched ? 'matches' : 'does not match'} ${wanted}`;
}

/** Every HTTP matcher of Traefik v3, by canonical name. */
export const MATCHERS: ReadonlyMap<string, MatcherDefinition> = new Map(
  [host, hostRegexp, path, pathPrefix, pathRegexp, method, header, headerRegexp, query, queryRegexp, clientIp].map(
    (definition) => [definition.name, definition],
  ),
);

/**
 * Accepted spellings → definition. Like Traefik: the exact name, all lower, ALL UPPER, and the
 * lower form with a capital first letter (`Pathprefix`); nothing else (`pathPrefix` is unknown).
 */
const SPELLINGS: ReadonlyMap<string, MatcherDefinition> = new Map(
  [...MATCHERS.values()].flatMap((definition) => {
    const lower = definition.name.toLowerCase();
    const title = lower[0]!.toUpperCase() + lower.slice(1);
    return [definition.name, lower, definition.name.toUpperCase(), title].map((s) => [s, definition] as const);
  }),
);

/** Looks a matcher up by the name as written in a rule; undefined when not an accepted spelling. */
export function findMatcher(spelling: string): MatcherDefinition | undefined {
  return SPELLINGS.get(spelling);
}
