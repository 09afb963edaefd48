/**
 * The corpus's recorded baseline (test/compat/baseline.json: per case, loads / loads with
 * warnings naming keys / fails with reasons) and the comparison the test makes against it: a
 * case that loaded and now fails is a regression, and so is a warning that disappeared while
 * its key is not kept in the validated configuration (a key silently dropped); anything better
 * is an improvement, to be recorded with `npm run compat -- --update`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CaseOutcome, CaseResult } from './corpus.js';

export const BASELINE_FILE = fileURLToPath(new URL('../../../test/compat/baseline.json', import.meta.url));

/** Per case id, its recorded outcome. */
export type Baseline = Record<string, CaseOutcome & { source: string; feature: string }>;

export function readBaseline(file = BASELINE_FILE): Baseline {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Baseline;
  } catch {
    return {};
  }
}

export function baselineOf(results: readonly CaseResult[]): Baseline {
  const out: Baseline = {};
  for (const r of results) {
    out[r.case.id] = {
      source: r.case.source,
      feature: r.case.feature,
      status: r.status,
      warnings: r.warnings,
      errors: r.errors,
    };
  }
  return out;
}

export function writeBaseline(results: readonly CaseResult[], file = BASELINE_FILE): void {
  writeFileSync(file, `${JSON.stringify(baselineOf(results), null, 2)}\n`);
}

/** What changed against the baseline. */
export interface Comparison {
  /** Each a sentence naming the case: these fail the test. */
  regressions: string[];
  /** Each a sentence naming the case: the baseline can be updated. */
  improvements: string[];
  /** Changes neither better nor worse (new warnings, other reasons), for the record. */
  changes: string[];
}

export function compareWithBaseline(results: readonly CaseResult[], baseline: Baseline): Comparison {
  const regressions: string[] = [];
  const improvements: string[] = [];
  const changes: string[] = [];
  const seen = new Set<string>();
  for (const result of results) {
    const id = result.case.id;
    seen.add(id);
    const before = baseline[id];
    if (before === undefined) {
      changes.push(`${id}: new case (${result.status})`);
      continue;
    }
    if (before.status !== 'fail' && result.status === 'fail') {
      regressions.push(`${id}: loaded (${before.status}), now fails: ${result.errors.join('; ')}`);
      continue;
    }
    if (before.status === 'fail' && result.status !== 'fail') {
      improvements.push(`${id}: failed, now loads (${result.status})`);
    }
    if (result.status === 'fail') {
      if (before.errors.join('\n') !== result.errors.join('\n'))
        changes.push(`${id}: fails for other reasons: ${result.errors.join('; ')}`);
      continue;
    }
    for (const key of before.warnings) {
      if (result.warnings.includes(key)) continue;
      if (result.keeps(key)) improvements.push(`${id}: ${key} is honoured now (no warning, kept in the configuration)`);
      else
        regressions.push(
          `${id}: the warning about ${key} disappeared but the key is not in the loaded configuration (silently dropped?)`,
        );
    }
    for (const key of result.warnings) if (!before.warnings.includes(key)) changes.push(`${id}: new warning: ${key}`);
  }
  for (const id of Object.keys(baseline)) if (!seen.has(id)) changes.push(`${id}: case removed`);
  return { regressions, improvements, changes };
}
