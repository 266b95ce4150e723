import { cpus, loadavg, totalmem } from 'node:os';
import { benchCacheHit, benchContextBuild, benchPromptTokens } from '../src/analyst/bench.ts';
import { benchCli } from './cli.ts';
import { benchDashboardOpen } from './dashboard.ts';
import { benchPythonClient } from './client.ts';
import { benchDiagnoserPerPoint, benchOfflineJsonl } from './diagnose.ts';
import { benchIngest } from './ingest.ts';
import { printManyRuns } from './many-runs.ts';
import { benchPostgresIngest, benchPostgresUrl } from './postgres.ts';
import { benchRestart } from './restart.ts';
import { fmt, row } from './report.ts';
import { benchSeriesReads } from './series.ts';
import { benchSseLatency, benchTfeventsParse, benchWsIngest } from './streams.ts';

/** `npm run bench`: every figure in one run on one machine, as ratios where a ceiling exists. */


const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
console.log(`machine: ${machine}; load average at start ${loadavg()[0].toFixed(2)}\n`);

/**
 * `--only load`: the many-runs figures alone, a minute instead of the whole run; `--only cli` the
 * command's figures, `--only streams` the SSE latency: one figure measured again and again.
 */
const PARTS: Record<string, () => Promise<void>> = { load: printManyRuns, cli: printCli, streams: printStreams };
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt < 0 ? undefined : process.argv[onlyAt + 1];
if (only !== undefined && !(only in PARTS)) throw new Error(`--only takes ${Object.keys(PARTS).join(', ')}, not ${only}`);

async function printCli(): Promise<void> {
  const cli = await benchCli();
  console.log('the analyst command (a fresh process per call, median of 9)');
  row('analyst --help', `${cli.help_s.toFixed(2)} s`, 'target <= 0.4 s');
  row('analyst status RUN', `${cli.status_s.toFixed(2)} s`, 'target <= 0.6 s');
  row('the same through tsx (sources compiled per call)', `${cli.help_tsx_s.toFixed(2)} / ${cli.status_tsx_s.toFixed(2)} s`);
  row('analyst serve: start until listening, dist / tsx', `${cli.serve_start_s.toFixed(2)} / ${cli.serve_start_tsx_s.toFixed(2)} s`);
}

async function printStreams(): Promise<void> {
  console.log('live streams (10 SSE subscribers)');
  for (const rate of [1000, 10_000]) {
    const l = await benchSseLatency(rate);
    row(`${fmt(rate)} points/s: commit -> subscriber p50 / p99`, `${l.fanout_p50_ms.toFixed(2)} / ${l.fanout_p99_ms.toFixed(2)} ms`, rate === 10_000 ? 'target p99 <= 5 ms' : '');
    row(`${fmt(rate)} points/s: trainer send -> subscriber p50 / p99`, `${l.e2e_p50_ms.toFixed(2)} / ${l.e2e_p99_ms.toFixed(2)} ms`);
  }
}

async function everyFigure(): Promise<void> {
  // The command first, before the other figures load the machine.
  await printCli();
  console.log('');

  // First, on a fresh heap, as `analyst diagnose` runs in a process of its own.
  const offline = await benchOfflineJsonl();

  const ingest = await benchIngest();
  const ws = await benchWsIngest();
  console.log('ingest (batches of 1,000 events, 4 metrics each, durable: the ceiling with synchronous=FULL, the service flushing each commit before its answer)');
  row('raw better-sqlite3 insert, same rows (ceiling)', `${fmt(ingest.ceiling_points_per_s)} points/s`);
  row('REST batch ingest, acknowledged after commit', `${fmt(ingest.rest_points_per_s)} points/s`);
  row('REST / ceiling', `${(ingest.ratio * 100).toFixed(1)} %`, 'target >= 50 %');
  row('WebSocket batch ingest, acknowledged after commit', `${fmt(ws.ws_points_per_s)} points/s`);

  const pgUrl = await benchPostgresUrl();
  if (pgUrl) {
    const server = new URL(pgUrl);
    console.log(`\ningest on PostgreSQL at ${server.host}${server.pathname} (the same batches; load average now ${loadavg()[0].toFixed(2)})`);
    const pgIngest = await benchPostgresIngest(pgUrl);
    row('raw multi-row INSERT, same rows (ceiling)', `${fmt(pgIngest.ceiling_points_per_s)} points/s`);
    row('REST batch ingest, acknowledged after commit', `${fmt(pgIngest.rest_points_per_s)} points/s`);
    row('REST / ceiling', `${(pgIngest.ratio * 100).toFixed(1)} %`, 'target >= 50 %');
    row('3 replica processes on one schema, 3 trainers', `${fmt(pgIngest.three_replicas_points_per_s)} points/s`);
  } else {
    console.log('\ningest on PostgreSQL: skipped, no server at 127.0.0.1:5432 (set ANALYST_BENCH_PG to a postgres:// URL)');
  }

  console.log('');
  await printStreams();
  const tf = benchTfeventsParse();
  row('tfevents parse (scalar records, CRCs checked)', `${tf.mb_per_s.toFixed(1)} MB/s`);

  console.log('\ndiagnoser');
  row('rules, per metrics point', `${benchDiagnoserPerPoint().toFixed(2)} µs`, 'target <= 2 µs');
  row('1M-point JSONL diagnosed offline (import + rules)', `${offline.seconds.toFixed(2)} s`, 'target < 2 s');

  console.log('\nLLM analyst (offline provider: measures our side, not a model)');
  row('cache hit, median', `${(await benchCacheHit()).toFixed(3)} ms`, 'target < 5 ms');
  const build = await benchContextBuild();
  row('1M-point run: fold into context / build block', `${fmt(build.fold_ms)} / ${build.block_ms.toFixed(1)} ms`);
  for (const points of [100, 1_000_000]) {
    const p = await benchPromptTokens(points);
    row(`${fmt(points)}-point run: context / whole prompt`, `${p.context_tokens} / ${p.prompt_tokens} tokens`, `budget ${p.budget}`);
  }

  console.log('\nPython client (bench/client.py, Debian python3 with torch)');
  const client = await benchPythonClient();
  row('log() call, 4 metrics, sender held, median', `${client.log_call_alone_us.toFixed(2)} µs`);
  row('log() call, 4 metrics, sender running, median', `${client.log_call_us.toFixed(2)} µs`);
  row('sender thread CPU per logged point', `${client.sender_cpu_per_call_us.toFixed(2)} µs`);
  if (client.step) {
    row('CNN step (torch ' + client.step.torch + ')', `${client.step.step_ms.toFixed(1)} ms`);
    row('10 log() per step: client CPU per step', `${client.step.client_cpu_per_step_us.toFixed(1)} µs`);
    row('10 log() per step: client CPU / step time', `${client.step.cpu_overhead_pct.toFixed(2)} %`, 'target < 1 %');
    row('10 log() per step: wall-time difference, median', `${client.step.wall_overhead_pct.toFixed(2)} %`);
  } else {
    row('training-step overhead', 'skipped: no torch for this python');
  }

  console.log(`\nbig runs (load average now ${loadavg()[0].toFixed(2)})`);
  const reads = await benchSeriesReads();
  row('1M-point series, max_points=1000: p50 / p95', `${reads.one.p50.toFixed(1)} / ${reads.one.p95.toFixed(1)} ms`, 'target p95 <= 100 ms');
  row('10M-point run (4 x 2.5M), one series: p50 / p95', `${reads.ten.p50.toFixed(1)} / ${reads.ten.p95.toFixed(1)} ms`, 'target <= 250 ms');
  row('the same, zoomed to 50k points: p50 / p95', `${reads.zoom.p50.toFixed(1)} / ${reads.zoom.p95.toFixed(1)} ms`);
  row("the dashboard's request for the 10M-point run: p50", `${reads.dashboard.p50.toFixed(1)} ms`);
  row('RSS growth while reading', `${reads.rss_growth_mb.toFixed(1)} MB`, 'target <= 50 MB');
  const page = await benchDashboardOpen();
  if (page) row(`run page in Chromium, ${fmt(page.charts)} metrics x 1M points: until every chart drew, median / max of 5`, `${fmt(page.median_ms)} / ${fmt(page.max_ms)} ms`, 'target <= 2,000 ms');
  else row('run page of a 1M-point run in Chromium', 'skipped: no Chromium');
  const restart = await benchRestart();
  row('first request to a 1M-event run after a restart', `${restart.shutdown.ms.toFixed(0)} ms`, 'target <= 200 ms');
  row('the same after a crash (snapshot + tail)', `${restart.crash.ms.toFixed(0)} ms, ${fmt(restart.crash.events)} events read`);
  row('the same replayed from the start (no snapshot)', `${fmt(restart.replay.ms)} ms, ${fmt(restart.replay.events)} events read, loop delay max ${restart.replay.loop_max_ms.toFixed(1)} ms`);

  await printManyRuns();
}

await (only === undefined ? everyFigure() : PARTS[only]());
console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' / ')}`);
