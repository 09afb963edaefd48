/** Entry file of a data-plane worker process (forked by the primary through node:cluster). */
import { runWorker } from './worker.js';

runWorker().catch((error: Error) => {
  process.stderr.write(`switchyard worker: ${error.message}\n`);
  process.exit(1);
});
