/**
 * `npm run compat [-- --update]`: judges every case of the corpus, prints the acceptance rate
 * (overall and per source), the keys warned about and the top blockers, and what changed
 * against the baseline. `--update` records the results as the new baseline and regenerates
 * docs/traefik-support.md from it.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { baselineOf, compareWithBaseline, readBaseline, writeBaseline } from './baseline.js';
import { evaluateCorpus } from './corpus.js';
import { renderReport, renderSupportDoc } from './summary.js';

export const SUPPORT_DOC = fileURLToPath(new URL('../../../docs/traefik-support.md', import.meta.url));

const update = process.argv.includes('--update');
const results = await evaluateCorpus();
const current = baselineOf(results);
for (const line of renderReport(current)) console.log(line);
const { regressions, improvements, changes } = compareWithBaseline(results, readBaseline());
console.log('');
for (const line of regressions) console.log(`REGRESSION ${line}`);
for (const line of improvements) console.log(`improved   ${line}`);
for (const line of changes) console.log(`changed    ${line}`);
if (update) {
  writeBaseline(results);
  writeFileSync(SUPPORT_DOC, renderSupportDoc(current));
  console.log('baseline (test/compat/baseline.json) and docs/traefik-support.md updated');
} else if (improvements.length + changes.length > 0) {
  console.log('the baseline can be updated: npm run compat -- --update');
}
process.exitCode = regressions.length > 0 ? 1 : 0;
