import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/analyst.js');

export interface ChildServer {
  url: string;
  proc: ChildProcess;
  /** What the server wrote to stderr so far (warnings at start, among them). */
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `analyst serve` as a separate process, so a test can SIGKILL it like a crash would. */
export async function startChildServer(db: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db], {
    env: { ...process.env, ANALYST_LOG_LEVEL: 'silent', ANALYST_HOST: '127.0.0.1', ANALYST_LLM: 'offline', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    proc.once('exit', (code) => fail(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    proc,
    stderr: () => stderr,
    kill: (signal = 'SIGKILL') =>
      new Promise((done) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return done();
        proc.once('exit', () => done());
        proc.kill(signal);
      }),
  };
}
