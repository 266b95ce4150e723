// The `analyst` command as a person runs it: a fresh process each time, through bin/analyst.js.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withServer } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/analyst.js');
const ROUNDS = 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time of `node <args>` in a fresh process, in seconds (asynchronous: the server may live in this process). */
async function timed(args: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const proc = spawn(process.execPath, args, { env: { ...process.env, ANALYST_LLM: 'offline' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => proc.once('close', done));
    times.push((performance.now() - t0) / 1000);
    if (code !== 0) throw new Error(`${args.join(' ')} failed: ${stderr}`);
  }
  return median(times);
}

/** Seconds from `analyst serve` (`node <entry> serve`) to its first line: the port is listening. */
async function serveStart(entry: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
    const t0 = performance.now();
    const proc = spawn(process.execPath, [...entry, 'serve', '--json', '--port', '0', '--db', join(dir, 'a.db')], {
      env: { ...process.env, ANALYST_LLM: 'offline', ANALYST_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((ok) => proc.stdout!.once('data', () => ok()));
    times.push((performance.now() - t0) / 1000);
    await new Promise((done) => (proc.once('exit', done), proc.kill('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  }
  return median(times);
}

export interface CliFigures {
  help_s: number;
  status_s: number;
  /** The same two through tsx, compiling the sources at each call (what the command did before dist/). */
  help_tsx_s: number;
  status_tsx_s: number;
  serve_start_s: number;
  serve_start_tsx_s: number;
}

export async function benchCli(): Promise<CliFigures> {
  const tsx = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  const help_s = await timed([BIN, '--help']);
  const help_tsx_s = await timed([...tsx, '--help']);
  const { status_s, status_tsx_s } = await withServer(async (server, run) => ({
    status_s: await timed([BIN, 'status', run, '--server', server.url]),
    status_tsx_s: await timed([...tsx, 'status', run, '--server', server.url]),
  }));
  return { help_s, status_s, help_tsx_s, status_tsx_s, serve_start_s: await serveStart([BIN]), serve_start_tsx_s: await serveStart(tsx) };
}
