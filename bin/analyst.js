#!/usr/bin/env node
// Runs the TypeScript sources through tsx so that `npm install` alone is enough: no build step.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

// Ingest and offline diagnosis make many short-lived objects per point: a larger young
// generation halves the time spent in garbage collection (npm run bench sets the same).
v8.setFlagsFromString('--max-semi-space-size=64');
register();
await import('../src/cli/main.ts');
