#!/usr/bin/env node
// Entry point: `node dist/apps/static-site/main.js` (env: PORT=3001, HOST=0.0.0.0, REPLICA_ID, PUBLIC_DIR, LOG_LEVEL).
import { runApp } from '../shared/main-runner.js';
import { startStaticSiteServer } from './server.js';

await runApp('static-site', 3001, (ctx) =>
  startStaticSiteServer({ ...ctx, ...(process.env.PUBLIC_DIR ? { root: process.env.PUBLIC_DIR } : {}) }),
);
