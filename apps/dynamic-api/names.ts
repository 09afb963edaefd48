import type { Faker } from '@faker-js/faker';

// Faker's own city names are built from surnames ("Schultz-upon-Blanda"), which reads oddly on a
// station board; these parts give English-sounding made-up towns, with faker as the random source.
const STEMS = [
  'Ash',
  'Bram',
  'Brook',
  'Cal',
  'Clay',
  'Crow',
  'Dun',
  'Elm',
  'Fair',
  'Fen',
  'Glen',
  'Hart',
  'Hazel',
  'Hol',
  'Kings',
  'Lark',
  'Lang',
  'Marsh',
  'Mill',
  'Oak',
  'Pen',
  'Raven',
  'Rush',
  'Sand',
  'Stan',
  'Stone',
  'Thorn',
  'Wey',
  'Whit',
  'Wil',
  'Wood',
  'Yar',
  'Bex',
  'Chel',
  'Alder',
  'Bel',
  'Cold',
  'Red',
  'Swan',
  'Fox',
];
const SUFFIXES = [
  'bury',
  'ford',
  'ham',
  'ton',
  'wick',
  'field',
  'mouth',
  'bridge',
  'stead',
  'worth',
  'by',
  'combe',
  'leigh',
  'dale',
  'gate',
  'minster',
  'well',
  'haven',
  'moor',
  'cliffe',
];
const PREFIXES = ['Upper ', 'Lower ', 'Great ', 'Little ', 'North ', 'South ', 'East ', 'West ', 'Market '];
const POSTFIXES = [' Junction', ' Parkway', ' Central', '-on-Sea', ' Airport', ' Harbour', ' Road'];
const OPERATOR_KINDS = ['Rail', 'Railway', 'Trains', 'Express', 'Connect', 'Lines'];

/** A plausible made-up English town name. */
export function townName(faker: Faker): string {
  const core = faker.helpers.arrayElement(STEMS) + faker.helpers.arrayElement(SUFFIXES);
  const roll = faker.number.int(99);
  if (roll < 12) return faker.helpers.arrayElement(PREFIXES) + core;
  if (roll < 24) return core + faker.helpers.arrayElement(POSTFIXES);
  return core;
}

/** `count` distinct town names. */
export function distinctTownNames(faker: Faker, count: number): string[] {
  const names = new Set<string>();
  // Bounded so a pathological seed can never spin forever.
  for (let tries = 0; names.size < count && tries < count * 50; tries++) names.add(townName(faker));
  return [...names];
}

/** A made-up train operator: display name and a two-letter code used in train numbers. */
export function operator(faker: Faker): { name: string; code: string } {
  const region = faker.helpers.arrayElement(STEMS) + faker.helpers.arrayElement(SUFFIXES);
  const kind = faker.helpers.arrayElement(OPERATOR_KINDS);
  return { name: `${region} ${kind}`, code: (region[0]! + kind[0]!).toUpperCase() };
}
