#!/usr/bin/env node
// Entry point: `node dist/apps/dynamic-api/main.js` (env: PORT=3000, HOST=0.0.0.0, REPLICA_ID, LOG_LEVEL).
import { runApp } from '../shared/main-runner.js';
import { startDynamicApiServer } from './server.js';

await runApp('dynamic-api', 3000, (ctx) => startDynamicApiServer(ctx));
