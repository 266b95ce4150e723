import { readFileSync } from 'node:fs';
import { testServer, api } from './test/helpers/server.ts';
const [req] = JSON.parse(readFileSync('/tmp/cex.json', 'utf8'));
const s = await testServer({ ANALYST_LOG_LEVEL: 'error' }, 'postgres');
const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'fuzz', project: 'fuzz' } })).body.id;
const path = req.path.replace(/\/runs\/[^/]+\//, `/runs/${run}/`);
const res = await fetch(s.url + path, { method: req.method, body: req.body, headers: { 'content-type': req.type ?? 'application/json' } });
console.log(res.status, await res.text());
await s.stop();
