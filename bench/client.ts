// The Python client's figures, taken by bench/client.py against a real server.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { withServer } from './harness.ts';

export interface ClientFigures {
  log_call_alone_us: number;
  log_call_us: number;
  sender_cpu_per_call_us: number;
  step: { step_ms: number; wall_overhead_pct: number; client_cpu_per_step_us: number; cpu_overhead_pct: number; torch: string } | null;
  python: string;
}

/** Debian's interpreter, which sees python3-torch; any python3 still gives the per-call cost. */
const PYTHON = process.env.ANALYST_BENCH_PYTHON ?? '/usr/bin/python3';

export function benchPythonClient(): Promise<ClientFigures> {
  return withServer(
    (server) =>
      new Promise((done, fail) => {
        // Asynchronous: the server answering the client runs in this process.
        const child = spawn(PYTHON, [resolve(import.meta.dirname, 'client.py'), server.url], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', fail);
        child.on('close', (code) => (code === 0 ? done(JSON.parse(out) as ClientFigures) : fail(new Error(`bench/client.py exited with ${code}: ${err}`))));
      }),
  );
}
