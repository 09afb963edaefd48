import { base, en, en_GB, Faker } from '@faker-js/faker';
import { distinctTownNames, operator } from './names.js';

/** Whether a departure leaves on time, late, or not at all. */
export type DepartureStatus = 'on-time' | 'delayed' | 'cancelled';

/** One row of the departures board. */
export interface Departure {
  /** Stable across polls and replicas: the same train always has the same id. */
  id: string;
  train: string;
  operator: string;
  destination: string;
  via: string[];
  platform: string;
  /** ISO 8601 (UTC), whole minutes. */
  scheduled: string;
  /** ISO 8601 (UTC); null when cancelled. */
  expected: string | null;
  delayMinutes: number;
  status: DepartureStatus;
}

/** The departures board of one station at one instant. */
export interface DepartureBoard {
  station: string;
  generatedAt: string;
  departures: Departure[];
}

/** A regular service pattern: one train every `intervalMin` minutes, `offsetMin` past the cycle. */
interface Line {
  index: number;
  destination: string;
  via: string[];
  operator: { name: string; code: string };
  platform: number;
  intervalMin: number;
  offsetMin: number;
  trainBase: number;
}

const MINUTE = 60_000;
const LOOKBACK_MIN = 40; // a delayed train scheduled this long ago may still be on the board
const HORIZON_MIN = 60;
const PLATFORMS = 8;

/**
 * Builds departure boards for one made-up station.
 *
 * The timetable is a deterministic function of the station name and each train's status a
 * deterministic function of the train, so every replica shows the same coherent board and a train
 * keeps its delay from one poll to the next; only `servedBy` tells the replicas apart.
 */
export class DepartureBoardGenerator {
  /** The station shown on the board. */
  readonly station: string;
  private readonly faker = new Faker({ locale: [en_GB, en, base] });
  private readonly seed: number;
  private readonly lines: Line[];

  constructor(station = 'Switchyard Central') {
    this.station = station;
    this.seed = hashString(station);
    this.lines = this.buildLines();
  }

  /** The departures in the next hour after `now`, sorted by scheduled time, at most `limit`. */
  board(now: Date = new Date(), limit = 15): DepartureBoard {
    const nowMs = now.getTime();
    const nowMin = Math.floor(nowMs / MINUTE);
    const departures: Departure[] = [];
    for (const line of this.lines) {
      const first = Math.ceil((nowMin - LOOKBACK_MIN - line.offsetMin) / line.intervalMin);
      const last = Math.floor((nowMin + HORIZON_MIN - line.offsetMin) / line.intervalMin);
      for (let slot = first; slot <= last; slot++) {
        const dep = this.departure(line, slot);
        const leaves = Date.parse(dep.expected ?? dep.scheduled);
        if (leaves >= nowMs && Date.parse(dep.scheduled) <= nowMs + HORIZON_MIN * MINUTE) departures.push(dep);
      }
    }
    departures.sort((a, b) => a.scheduled.localeCompare(b.scheduled) || a.train.localeCompare(b.train));
    return { station: this.station, generatedAt: now.toISOString(), departures: departures.slice(0, limit) };
  }

  private buildLines(): Line[] {
    const f = this.faker;
    f.seed(this.seed);
    const operators = [operator(f), operator(f), operator(f)];
    const lineCount = 10;
    const towns = distinctTownNames(f, lineCount + 16);
    const destinations = towns.slice(0, lineCount);
    const stops = towns.slice(lineCount);
    const intervals = [15, 20, 30, 30, 30, 60, 60, 60, 60, 120];
    return destinations.map((destination, index) => {
      const intervalMin = intervals[index % intervals.length]!;
      return {
        index,
        destination,
        via: f.helpers.arrayElements(stops, { min: 0, max: 3 }),
        operator: f.helpers.arrayElement(operators),
        platform: f.number.int({ min: 1, max: PLATFORMS }),
        intervalMin,
        offsetMin: f.number.int({ min: 0, max: intervalMin - 1 }),
        trainBase: 1000 + index * 100,
      };
    });
  }

  private departure(line: Line, slot: number): Departure {
    const f = this.faker;
    f.seed([this.seed, line.index, slot]);
    const scheduledMs = (line.offsetMin + slot * line.intervalMin) * MINUTE;
    const status = f.helpers.weightedArrayElement<DepartureStatus>([
      { weight: 80, value: 'on-time' },
      { weight: 17, value: 'delayed' },
      { weight: 3, value: 'cancelled' },
    ]);
    // Most delays are a few minutes; a few are long, as on real boards.
    const delayMinutes =
      status !== 'delayed'
        ? 0
        : f.number.int(9) < 8
          ? f.number.int({ min: 2, max: 9 })
          : f.number.int({ min: 10, max: 30 });
    const platformChanged = f.number.int(99) < 8;
    const platform = platformChanged ? (line.platform % PLATFORMS) + 1 : line.platform;
    const number = line.trainBase + (((slot % 100) + 100) % 100);
    return {
      id: `${line.operator.code}${number}-${scheduledMs / MINUTE}`,
      train: `${line.operator.code} ${number}`,
      operator: line.operator.name,
      destination: line.destination,
      via: line.via,
      platform: String(platform),
      scheduled: new Date(scheduledMs).toISOString(),
      expected: status === 'cancelled' ? null : new Date(scheduledMs + delayMinutes * MINUTE).toISOString(),
      delayMinutes,
      status,
    };
  }
}

/** FNV-1a: a tiny stable string hash to seed faker from the station name. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
