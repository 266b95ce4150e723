#!/usr/bin/env -S node --max-semi-space-size=64
// Loads the compiled JavaScript in dist/ when it is in step with src/ (built by `npm install`,
// `npm start`, `npm test` or `npm run build`); otherwise runs the sources through tsx, so an edit
// to src/ is never answered by stale code, only more slowly until the next build.
// The flag above: ingest and offline diagnosis make many short-lived objects per point, and a
// larger young generation spends less time collecting them (`npm run bench` runs with the same).
import { isBuilt } from '../scripts/build.js';

if (isBuilt()) {
  await import('../dist/cli/main.js');
} else {
  if (process.stderr.isTTY) process.stderr.write('analyst: src/ changed since the last build; running the sources through tsx (`npm run build` makes this fast again)\n');
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
