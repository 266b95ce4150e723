import { cpus, totalmem } from 'node:os';
import { benchIngest } from './ingest.ts';

/** `npm run bench`: every figure in one run on one machine, as ratios where a ceiling exists. */
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
console.log(`machine: ${machine}\n`);

const ingest = await benchIngest();
console.log('ingest (batches of 1,000 events, 4 metrics each, synchronous=FULL)');
console.log(`  raw better-sqlite3 insert (ceiling)   ${fmt(ingest.ceiling_points_per_s)} points/s`);
console.log(`  durable REST batch ingest             ${fmt(ingest.rest_points_per_s)} points/s`);
console.log(`  ratio                                 ${(ingest.ratio * 100).toFixed(1)} % (target >= 50 %)`);
