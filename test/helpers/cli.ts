// The `analyst` command in a child process, as a person runs it: exit code, standard output and error.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const BIN = resolve(import.meta.dirname, '../../bin/analyst.js');
const run = promisify(execFile);

/**
 * Runs asynchronously, so that a server in the test's own process keeps answering. ANALYST_URL is
 * cleared so a developer's environment does not pick the server; `env` adds to it.
 */
export async function analyst(args: string[], env: NodeJS.ProcessEnv = {}, opts: { timeout?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ANALYST_URL: '', ...env }, timeout: opts.timeout });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
