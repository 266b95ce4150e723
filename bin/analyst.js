#!/usr/bin/env -S node --max-semi-space-size=64
// Runs the TypeScript sources through tsx so that `npm install` alone is enough: no build step.
// The flag above: ingest and offline diagnosis make many short-lived objects per point, and a
// larger young generation spends less time collecting them (`npm run bench` runs with the same).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
